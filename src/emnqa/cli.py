"""The `emnqa` command. Library errors become one friendly line and exit 1."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .config import Settings
from .errors import EmnqaError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return args.run(args)
    except EmnqaError as exc:
        print(f"emnqa: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a disk that is full, a directory we may not write
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"emnqa: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("emnqa: interrupted; the previous index, if any, is unchanged.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emnqa", description="Cited answers from EMN Belgium publications.")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="build or update the search index")
    index.add_argument("--corpus", type=Path, help="corpus directory (default: ./corpus)")
    index.add_argument("--index", type=Path, help="index directory (default: ./index)")
    index.add_argument("--rebuild", action="store_true", help="rebuild even when the index is up to date")
    index.set_defaults(run=_cmd_index)

    search = sub.add_parser("search", help="ranked passages for a question")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=None, help="number of passages (default 10)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--corpus", type=Path, help="corpus directory, to check the index is current")
    search.add_argument("--index", type=Path, help="index directory (default: ./index)")
    search.set_defaults(run=_cmd_search)
    return parser


def _settings(args) -> Settings:
    return Settings.from_env(corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None))


def _cmd_index(args) -> int:
    from .indexing import build

    settings = _settings(args)
    report = build(settings, rebuild=args.rebuild, say=_err)
    if report.up_to_date:
        print(
            f"Index in {report.path} is up to date ({report.documents} documents, {report.chunks} chunks); "
            "use --rebuild to build it again."
        )
        return 0
    stats = report.token_stats
    print(
        f"Indexed {report.documents} documents into {report.chunks} chunks "
        f"({report.tokens} tokens; per chunk min {stats.get('min')}, median {stats.get('median')}, "
        f"max {stats.get('max')}) in {report.seconds:.1f} s; embedded {report.embedded} new chunks. "
        f"Index: {report.path}"
    )
    return 0


def _cmd_search(args) -> int:
    from .indexing import index_status
    from .retrieval import check_query, open_dense_retriever

    settings = _settings(args)
    question = check_query(args.question)
    status, why = index_status(settings)
    if status == "missing":
        from .errors import IndexMissing

        raise IndexMissing(f"No index at {settings.index_dir}. Build it with `emnqa index`.")
    if status == "stale":
        _err(f"warning: {why}; results may be out of date. Run `emnqa index` to update.")
    hits = open_dense_retriever(settings).search(question, args.k)
    if args.json:
        passages = [
            {
                "rank": h.rank,
                "chunk_id": h.chunk.chunk_id,
                "doc_id": h.chunk.doc_id,
                "title": h.title,
                "section": h.chunk.section,
                "score": round(h.score, 4),
                "text": h.chunk.text,
            }
            for h in hits
        ]
        print(json.dumps({"question": question, "passages": passages}, ensure_ascii=False))
        return 0
    for h in hits:
        print(f"[{h.rank}] {h.score:.3f}  {h.title} — {h.chunk.section or '(no section)'}")
        for line in h.chunk.text.splitlines():
            print(f"    {line}")
        print()
    return 0


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
