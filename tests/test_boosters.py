"""LightGBM predictions one at a time, on one thread: several at once from the
web app's threads crashed the process (src/emnqa/store/boosters.py)."""

import threading
import time

import numpy as np

from emnqa.store import boosters
from emnqa.answer.confidence import Confidence
from emnqa.answer.lead import LeadRanker
from emnqa.retrieve.rerank import RerankModel


class Watched:
    """A booster that records how many predictions run at once, and how."""

    def __init__(self, names=()):
        self.names, self.running, self.most, self.options = list(names), 0, 0, []
        self.lock = threading.Lock()

    def feature_name(self):
        return self.names

    def predict(self, rows, **options):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.options.append(options)
        time.sleep(0.002)  # long enough for the other threads to arrive
        with self.lock:
            self.running -= 1
        return np.zeros(len(rows))


def test_predictions_from_many_threads_run_one_at_a_time_on_one_thread():
    watched = Watched()
    threads = [threading.Thread(target=lambda: [boosters.predict(watched, np.zeros((3, 2))) for _ in range(5)])
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(watched.options) == 40 and watched.most == 1
    assert all(o == {"num_threads": 1} for o in watched.options)


def test_every_model_read_at_answer_time_predicts_through_the_lock():
    from emnqa.answer.confidence import FEATURES as CONFIDENCE
    from emnqa.answer.lead import FEATURES as LEAD
    from emnqa.retrieve.rerank import FEATURES as RERANK
    from emnqa.types import Chunk, Evidence, Passage, Query

    rerank, lead, confidence = Watched(RERANK), Watched(LEAD), Watched(CONFIDENCE)
    RerankModel(rerank).score(np.zeros((4, len(RERANK))))
    text = "Asylum in Belgium. In 2024, 39 615 persons applied."
    p = Passage.of(Chunk("d:1", "d", text, ("Asylum",), 0, len(text), 9), 2.0, 1, "T")
    q = Query("How many applied?", "How many applied?", "quantity", ())
    LeadRanker(lead).scores(q, [Evidence(p, 0, 18, 1.0, 0.5, 0.6, 0.0, 0.2), Evidence(p, 19, len(text), 0.8, 0.4, 0.5, 1.0, 0.7)], [0, 1])
    Confidence(confidence, 1.0, 0.0, 0.5).probability([0.0] * len(CONFIDENCE))
    assert rerank.options == lead.options == [{"num_threads": 1}]
    assert confidence.options == [{"raw_score": True, "num_threads": 1}]
