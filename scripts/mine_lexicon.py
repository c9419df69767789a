"""Mine the lexicon's `acronym-table` rows from the report's table of
Belgian acronyms ("In text / English / Dutch / French"): each Dutch and
French name, and the Dutch or French acronym in brackets, rendered as the
acronym the English text uses and its English name.

    .venv/bin/python scripts/mine_lexicon.py corpus/emn-be-asylum-migration-overview-2024.txt \
        > src/emnqa/language/lexicon/acronym-table.tsv

The output is read before it is committed (the lexicon's rows are reviewed,
src/emnqa/language/lexicon/README.md); run again only when the report changes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from emnqa.query.lexicon import _CYRILLIC, _join_breaks

HEADER = ["In text", "English", "Dutch", "French"]


def table_rows(text: str) -> list[list[str]]:
    """The rows under the "In text / English / Dutch / French" header, up to the first line that is not a row."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if [c.strip() for c in line.split("\t") if c.strip()] == HEADER:
            rows = []
            for row in lines[i + 1 :]:
                cells = [c.strip() for c in row.split("\t") if c.strip()]
                if len(cells) != len(HEADER):
                    break
                rows.append(cells)
            return rows
    raise SystemExit("No acronym table (a line 'In text<TAB>English<TAB>Dutch<TAB>French') in the text.")


def lexicon_rows(cells: list[str]) -> list[tuple[str, str, str]]:
    acronym = cells[0].translate(_CYRILLIC)
    english = _join_breaks(cells[1])
    out = []
    for lang, cell in (("nl", cells[2]), ("fr", cells[3])):
        cell = _join_breaks(cell)
        if cell == "/":
            continue
        name = " ".join(re.sub(r"\([^()]*\)", " ", cell).split())
        out.append((lang, name, f"{acronym} | {english}"))
        for own in re.findall(r"\(([^()]+)\)", cell):
            own = own.translate(_CYRILLIC)
            if own.casefold() != acronym.casefold():
                out.append((lang, own, f"{acronym} | {english}"))
    return out


def main(path: str) -> None:
    print("lang\tterm\tenglish\tkind\tsource")
    seen = set()
    for cells in table_rows(Path(path).read_text(encoding="utf-8")):
        for lang, term, english in lexicon_rows(cells):
            if (lang, term.casefold()) not in seen:
                seen.add((lang, term.casefold()))
                print(f"{lang}\t{term}\t{english}\tbody\tacronym-table")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpus/emn-be-asylum-migration-overview-2024.txt")
