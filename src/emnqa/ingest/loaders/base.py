"""What every loader returns, and the one way they read a file's bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import CorpusError


@dataclass(frozen=True)
class LoadedText:
    """The text a loader extracted, plus (start_offset, page_number) pairs."""

    text: str
    pages: tuple[tuple[int, int], ...] = ()


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or CorpusError saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise CorpusError(
            f"{path} cannot be read ({err.strerror or err}); "
            "check that it exists and that you may read it."
        ) from None
