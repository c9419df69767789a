"""Print the evidence record of a sentence: its exact text and offsets.

    .venv/bin/python eval/locate_evidence.py overview-2024 "39 615 individuals applied"

TEXT may be any part of the sentence, with white space folded (a line break
in the document matches a space); the whole quotable sentence around it is
printed as a JSON `evidence` object, one per place it occurs.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from emnqa.ingest.corpus import load_corpus
from emnqa.text.spans import quotable_sentences

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    doc_id, snippet = sys.argv[1], sys.argv[2]
    corpus = load_corpus(ROOT / "corpus")
    docs = {d.doc_id: d for d in corpus.documents}
    if doc_id not in docs:
        print(f"no document {doc_id!r}; one of {', '.join(sorted(docs))}")
        return 1
    text = docs[doc_id].text
    pattern = re.compile(r"\s+".join(re.escape(w) for w in snippet.split()), re.IGNORECASE)
    spans = quotable_sentences(text)
    found = 0
    for m in pattern.finditer(text):
        a, b = m.start(), m.end()
        for s, e in spans:
            if s <= a < e:
                a, b = s, max(b, e)
                break
        print(json.dumps({"doc": doc_id, "text": text[a:b], "start": a, "end": b}, ensure_ascii=False))
        found += 1
    if not found:
        print(f"{snippet!r} is not in {doc_id} (white space and case folded)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
