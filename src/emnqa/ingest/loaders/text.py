"""Plain text and Markdown: the file decoded as strict UTF-8, nothing else changed
except universal newlines and a leading byte-order mark.

>>> import tempfile, os
>>> p = Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = p.write_bytes(b"\\xef\\xbb\\xbfLi\\xc3\\xa8ge\\r\\nT\\xc3\\xbcrkiye\\r")
>>> load_text(p).text
'Liège\\nTürkiye\\n'
"""

from __future__ import annotations

from pathlib import Path

from ...errors import CorpusError
from .base import LoadedText, read_bytes


def load_text(path: Path) -> LoadedText:
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = data[err.start : err.start + 1].hex()
        raise CorpusError(
            f"{path} is not valid UTF-8 (byte 0x{bad} at offset {err.start}); "
            "re-save it with UTF-8 encoding."
        ) from None
    text = text.removeprefix("\ufeff")
    # The same translation open(..., newline=None) does, so offsets match what
    # every other reader of the file sees.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return LoadedText(text)
