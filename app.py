"""The emnqa web chat and its JSON API (src/emnqa/web/server.py puts them together).

    python app.py [--host 127.0.0.1] [--port 7860]

Builds the index first when it is missing or stale, with progress on the
terminal, then serves the chat. Host, port, user name and password, feedback
file and queue limits also come from EMNQA_* environment variables (see the
README's "Web chat"). Never makes a share link; Gradio's analytics are off.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from emnqa.config import Settings  # noqa: E402
from emnqa.errors import EmnqaError  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start the emnqa web chat.")
    parser.add_argument("--host", help="address to listen on (default: EMNQA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: EMNQA_PORT or 7860)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from emnqa.web.server import serve

        serve(Settings.from_env(host=args.host, port=args.port))
    except EmnqaError as exc:
        print(f"emnqa: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
