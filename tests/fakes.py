"""Test doubles that stand in for the real model, so ranking tests are exact."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

# One dimension per keyword: a text about "asylum applications" points along
# those two axes, so cosine scores can be worked out by hand.
VOCABULARY = (
    "asylum",
    "application",
    "protection",
    "migration",
    "visa",
    "student",
    "work",
    "family",
    "return",
    "detention",
    "minor",
    "belgium",
    "refugee",
    "statistics",
    "citizenship",
    "labour",
)
# Other words are hashed into these extra buckets, so unrelated texts still
# get distinct non-zero vectors.
HASHED_BUCKETS = 8
DIMENSION = len(VOCABULARY) + HASHED_BUCKETS


class FakeEmbedder:
    """A bag-of-keywords `Embedder`.

    >>> FakeEmbedder().embed(["asylum asylum"])[0][:2].tolist()
    [1.0, 0.0]
    """

    def __init__(self, model_name: str = "fake/keyword-bag", max_wordpieces: int = 256):
        self.model_name = model_name
        self.dimension = DIMENSION
        self.max_wordpieces = max_wordpieces
        self.embedded_count = 0  # texts embedded so far: lets tests see cache hits
        self.calls = 0

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.embedded_count += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = _vector(text)
        return out

    def count_wordpieces(self, text: str) -> int:
        return len(text.split()) + 2  # +2 for [CLS] and [SEP]


def _vector(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    # An empty text counts as one empty word, so no row is ever all zeros.
    words = re.findall(r"\w+", text.lower()) or [""]
    for word in words:
        stem = word[:-1] if word.endswith("s") and word[:-1] in VOCABULARY else word
        if stem in VOCABULARY:
            vector[VOCABULARY.index(stem)] += 1.0
        else:
            bucket = hashlib.sha256(word.encode()).digest()[0] % HASHED_BUCKETS
            vector[len(VOCABULARY) + bucket] += 1.0
    return vector / np.linalg.norm(vector)


# A one-document corpus small enough for index tests with the fake embedder.
SMALL_MANIFEST = """\
[[document]]
file = "report.txt"
id = "report"
title = "A Report 2024"
year = "2024"
kind = "report"
layout = "report"
"""
SMALL_REPORT = """\
INTERNATIONAL PROTECTION

2.1 Asylum statistics

In 2024, 39 615 people lodged an asylum application in Belgium. Most came from Syria.

2.2 Return

In 2024, 3 270 forced returns took place. Detention of a minor is forbidden.
"""


def write_small_corpus(root, report: str = SMALL_REPORT):
    """The small corpus in directory `root` (created); returns `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.toml").write_text(SMALL_MANIFEST, encoding="utf-8")
    (root / "report.txt").write_text(report, encoding="utf-8")
    return root
