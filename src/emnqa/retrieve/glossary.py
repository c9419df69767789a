"""The report's glossary boxes, looked up by the term a question names.

The 2024 overview quotes the EMN Asylum and Migration Glossary in boxes: a
term on a line of its own, then its definition. The chunker keeps each box
as a chunk of kind "definition" with the term in meta["term"]. A what-is
question that names such a term ("What is a subsequent application?",
"How does the EMN glossary define an unaccompanied minor?") is answered by
that box first, whatever the ranking thought of its common words.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..types import Chunk

_WORDS = 2  # a term is named when its first words are (enough for "Subsequent application ...")


class Glossary:
    """The defined terms of an index's chunks."""

    def __init__(self, chunks: Sequence[Chunk]):
        self._entries: list[tuple[re.Pattern[str], int]] = []
        for position, chunk in enumerate(chunks):
            term = str(chunk.meta.get("term", "")).strip() if chunk.kind == "definition" else ""
            if not term or term.lower().startswith("definitions"):
                continue
            words = term.split()[:_WORDS]
            head = r"[\s-]+".join(re.escape(w) for w in words)
            # A plural names the term too: "unaccompanied minors".
            self._entries.append((re.compile(rf"(?<!\w){head}s?(?!\w)", re.I), position))

    def named_in(self, question: str) -> list[int]:
        """Positions of the definition chunks whose term the question names.

        >>> chunk = Chunk("d:1", "d", "Temporary protection\\n\\nA procedure ...", (), 0, 9, 9, kind="definition",
        ...               meta={"term": "Temporary protection"})
        >>> Glossary([chunk]).named_in("What does 'temporary protection' mean?"), Glossary([chunk]).named_in("What is protection?")
        ([0], [])
        """
        return [position for pattern, position in self._entries if pattern.search(question)]
