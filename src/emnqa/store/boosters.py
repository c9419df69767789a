"""The LightGBM models read at answer time (the passage reranker, the lead
ranker, the confidence and the answerability classifier), safe to call from
the web app's threads.

Predictions of several boosters from several threads at once crash the
process: a stress test of twelve threads asking at once ended in a
segmentation fault inside LightGBM's predict in 2 runs of about ten, and an
app process under 20 clients exited the same way. LightGBM keeps per-booster
predictor state and sets OpenMP's thread count process-wide on each call
(LightGBM issue 6142). So every prediction here runs on one thread under one
process-wide lock: all of a question's trees take about 1.5 ms, and the
answers stay what one thread gives.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

_LOCK = threading.Lock()


def predict(booster: Any, rows: np.ndarray, **options: Any) -> np.ndarray:
    """`booster.predict(rows, **options)` on one thread, one call at a time
    in this process."""
    with _LOCK:
        return booster.predict(rows, num_threads=1, **options)


@lru_cache(maxsize=8)
def load(path: str) -> Any:
    """The booster in a LightGBM text model file (read once per path)."""
    import lightgbm

    return lightgbm.Booster(model_file=path)
