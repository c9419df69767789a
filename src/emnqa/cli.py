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
from .language.messages import message


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
    search.add_argument("--mode", choices=("assistant", "hybrid", "dense", "bm25"), default="assistant",
                        help="assistant (default): the passages `ask` and the chat read, hybrid candidates "
                             "reranked and widened with their section neighbours; or one retriever alone over chunks")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--corpus", type=Path, help="corpus directory, to check the index is current")
    search.add_argument("--index", type=Path, help="index directory (default: ./index)")
    search.set_defaults(run=_cmd_search)

    ask = sub.add_parser("ask", help="a cited answer to a question ('-' reads one question per input line)")
    ask.add_argument("question", help="the question, or - to read questions from standard input")
    ask.add_argument("-k", type=int, default=None, help="passages retrieved (default 10)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per answer")
    ask.add_argument("--doc", action="append", help="only this document id (repeatable)")
    ask.add_argument("--year", action="append", help="only documents covering this year (repeatable)")
    ask.add_argument("--kind", action="append", help="only this kind of document: report, factsheet, slides, news")
    ask.add_argument("--corpus", type=Path, help="corpus directory, to check the index is current")
    ask.add_argument("--index", type=Path, help="index directory (default: ./index)")
    ask.set_defaults(run=_cmd_ask)

    evaluate = sub.add_parser("eval", help="score retrieval and answers on a question set, or compare two runs")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--split", choices=("train", "dev", "test", "all"),
                        help="question split: train (eval/train.jsonl), dev (eval/questions.jsonl, the default), "
                             "test (eval/test.jsonl, held out) or all three")
    source.add_argument("--questions", type=Path, help="a question file instead of a split")
    source.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                        help="compare two runs (directories `emnqa eval` wrote): differences and paired p-values")
    evaluate.add_argument("--ablate", action="store_true",
                          help="answer with each abstention rule and quote-extension step switched off in turn and "
                               "print what each earns (default splits: dev and test)")
    evaluate.add_argument("--mode", choices=("bm25", "dense", "hybrid", "assistant", "all"), default="all")
    evaluate.add_argument("--k", type=int, default=10, help="passages retrieved per question (default 10)")
    evaluate.add_argument("--out", type=Path, help="output directory (default: eval/runs/<time>)")
    evaluate.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    evaluate.add_argument("--corpus", type=Path, help="corpus directory, to check the index is current")
    evaluate.add_argument("--index", type=Path, help="index directory (default: ./index)")
    evaluate.set_defaults(run=_cmd_eval)

    serve = sub.add_parser("serve", help="start the web chat (builds the index first when missing or stale)")
    serve.add_argument("--host", help="address to listen on (default: EMNQA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: EMNQA_PORT or 7860)")
    serve.add_argument("--corpus", type=Path, help="corpus directory (default: ./corpus)")
    serve.add_argument("--index", type=Path, help="index directory (default: ./index)")
    serve.set_defaults(run=_cmd_serve)
    return parser


def _settings(args) -> Settings:
    return Settings.from_env(corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None))


def _cmd_index(args) -> int:
    from .store.build import build

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
        f"max {stats.get('max')}) in {report.seconds:.1f} s; embedded {report.embedded} new texts "
        f"({report.chunks} chunks and {report.sentences} sentences in all). "
        f"Index: {report.path}"
    )
    return 0


def _cmd_search(args) -> int:
    from .assistant import Assistant
    from .errors import InvalidQuery
    from .retrieve.retrievers import check_query, make_retriever
    from .types import Passage

    settings = _settings(args)
    question = check_query(args.question)
    if args.k is not None and args.k <= 0:
        raise InvalidQuery(f"k must be greater than 0. Currently it is {args.k}.")
    k = args.k or settings.top_k
    _require_index(settings)
    # Every mode searches what `ask` would: BM25 reads the question with its
    # acronyms expanded (CGVS -> CGRS ...).
    assistant = Assistant(settings)
    if args.mode == "assistant":
        hits = assistant.search(question, k)
    else:
        if args.mode == "hybrid":
            chunks = assistant.retriever.search(question, k, lexical_query=assistant.expand(question))
        else:
            retriever = make_retriever(args.mode, assistant.index, assistant.retriever.dense.embedder, k)
            chunks = retriever.search(assistant.expand(question) if args.mode == "bm25" else question, k)
        hits = [Passage.of(h.chunk, h.score, h.rank, h.title) for h in chunks]
    if args.json:
        passages = [
            {
                "rank": h.rank,
                "chunk_ids": list(h.chunk_ids),
                "doc_id": h.doc_id,
                "title": h.title,
                "section": h.section,
                "score": round(h.score, 4),
                "text": h.text,
            }
            for h in hits
        ]
        print(json.dumps({"question": question, "mode": args.mode, "passages": passages}, ensure_ascii=False))
        return 0
    for h in hits:
        print(f"[{h.rank}] {h.score:.3f}  {h.title} — {h.section or '(no section)'}")
        for line in h.text.splitlines():
            print(f"    {line}")
        print()
    return 0


def _cmd_ask(args) -> int:
    from .assistant import Assistant
    from .types import Filters
    from .errors import InvalidQuery
    from .retrieve.retrievers import check_query

    settings = _settings(args)
    if args.k is not None and args.k <= 0:
        raise InvalidQuery(f"k must be greater than 0. Currently it is {args.k}.")
    if args.question != "-":
        check_query(args.question)
    _require_index(settings)
    filters = None
    if args.doc or args.year or args.kind:
        filters = Filters(
            frozenset(args.doc) if args.doc else None,
            frozenset(args.year) if args.year else None,
            frozenset(args.kind) if args.kind else None,
        )
    assistant = Assistant(settings)
    if args.question != "-":
        answer = assistant.ask(args.question, k=args.k, filters=filters)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            if answer.interpreted_query != answer.question:
                print(f"{message(answer.language, 'interpreted')} {answer.interpreted_query}\n")
            print(answer.text, end="")
        return 0
    return _ask_stream(assistant, args, filters)


def _ask_stream(assistant, args, filters) -> int:
    """One question per input line (plain text or a JSON object with
    "question" and "history"); one JSON object per line out, in order. A bad
    line gets an {"error": ...} object; the stream goes on."""
    failed = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            question, history = _parse_ask_line(line)
            out = assistant.ask(question, history, k=args.k, filters=filters).to_dict()
        except EmnqaError as exc:
            failed += 1
            out = {"line": number, "error": str(exc)}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _parse_ask_line(line: str):
    from .errors import InvalidQuery

    text = line.strip()
    if not text.startswith("{"):
        return text, None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidQuery(f"the line is not valid JSON ({exc.msg}); send plain text or {{\"question\": ...}}") from None
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise InvalidQuery('a JSON line needs a "question" string')
    history = data.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in history
    ):
        raise InvalidQuery('"history" must be a list of {"role": "user"|"assistant", "content": str}')
    return data["question"], history


def _cmd_eval(args) -> int:
    import time
    from datetime import datetime, timezone

    from .config import PROJECT_ROOT
    from .errors import InvalidQuery
    from .evaluation.report import answer_summary, by_split, splits_summary, summary, write_run
    from .evaluation.evaluate import EVAL_MODES, evaluate_index
    from .evaluation.questions import load_questions
    from .evaluation.splits import SPLITS, load_splits

    if args.compare:
        return _compare(*args.compare, as_json=args.json)
    settings = _settings(args)
    if args.k <= 0:
        raise InvalidQuery(f"--k must be greater than 0. Currently it is {args.k}.")
    if args.questions:
        path = args.questions
        questions = load_questions(path)
        label = args.mode
    else:
        split = args.split or "dev"
        names = list(SPLITS) if split == "all" else [split]
        if args.ablate and not args.split:
            names = ["dev", "test"]
        questions = load_splits(names, PROJECT_ROOT / "eval")
        path = ", ".join(f"eval/{SPLITS[n]}" for n in names)
        label = f"{split}-{args.mode}"
    _require_index(settings)
    if args.ablate:
        return _ablate(settings, questions)
    modes = list(EVAL_MODES) if args.mode == "all" else [args.mode]
    started = time.perf_counter()
    results, answers = evaluate_index(settings, questions, modes, k=args.k, answers=True, say=_err)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or PROJECT_ROOT / "eval" / "runs" / f"{stamp}-{label}"
    from .store.index import read_manifest

    manifest = read_manifest(settings.index_dir)
    meta = {
        "questions": str(path),
        "split": None if args.questions else (args.split or "dev"),
        "index": str(settings.index_dir),
        "chunks": manifest.get("counts", {}).get("chunks"),
        "model": manifest.get("model", {}).get("name"),
        "k": args.k,
        "created": stamp,
        "seconds": round(time.perf_counter() - started, 1),
    }
    parts = by_split(results, answers)
    paths = write_run(results, out, meta, answers, parts)
    if args.json:
        print(json.dumps({"meta": meta, "modes": {r.mode: summary(r) for r in results},
                          "answers": answer_summary(answers) if answers else None,
                          "splits": splits_summary(parts),
                          "files": {k: str(v) for k, v in paths.items()}}, ensure_ascii=False))
        return 0
    width = max(len(m) for m in modes)
    print(f"{len(questions)} questions, k={args.k}: report {paths['report']}")
    for name, (split_modes, split_answers) in parts.items():
        if name != "-":
            print(f"split {name}:")
        for r in split_modes:
            s, f = r.single_turn, r.followups
            print(
                f"  {r.mode:<{width}}  hit@1 {s.get('hit@1', 0):.3f}  hit@5 {s.get('hit@5', 0):.3f}  "
                f"mrr@10 {s.get('mrr@10', 0):.3f}  ndcg@10 {s.get('ndcg@10', 0):.3f}  "
                f"follow-up hit@5 {f.get('hit@5', 0):.3f}  p50 {r.latency['p50']:.0f} ms  p95 {r.latency['p95']:.0f} ms"
            )
        if split_answers:
            o = split_answers.overall
            print(
                f"  answers  answer@1 {o.get('answer@1', 0):.3f}  answer@any {o.get('answer@any', 0):.3f}  "
                f"citation precision {o.get('citation_precision', 0):.3f}  quote fidelity {o.get('quote_fidelity', 0):.3f}  "
                f"abstention recall {o.get('abstention_recall', 0):.3f}  false abstention {o.get('false_abstention', 0):.3f}  "
                f"AURC {o.get('aurc', 0):.3f}  p50 {split_answers.latency['p50']:.0f} ms  "
                f"p95 {split_answers.latency['p95']:.0f} ms"
            )
    return 0


def _ablate(settings, questions) -> int:
    from .evaluation.ablation import ablate, render
    from .assistant import Assistant

    results = ablate(Assistant(settings), questions, say=_err)
    print(render(results))
    return 0


def _compare(run_a: Path, run_b: Path, as_json: bool) -> int:
    from .evaluation.compare import compare_runs, load_run, render, to_json

    differences, changes, notes = compare_runs(load_run(run_a), load_run(run_b))
    if as_json:
        print(json.dumps(to_json(differences, changes, notes), ensure_ascii=False))
    else:
        print(f"A = {run_a}\nB = {run_b}")
        print(render(differences, changes, notes))
    return 0


def _cmd_serve(args) -> int:
    from .web.server import serve  # sets GRADIO_ANALYTICS_ENABLED=False before gradio loads

    settings = Settings.from_env(
        corpus_dir=args.corpus, index_dir=args.index, host=args.host, port=args.port
    )
    serve(settings, say=_err)
    return 0


def _require_index(settings: Settings) -> None:
    from .errors import IndexMissing
    from .store.build import index_status

    status, why = index_status(settings)
    if status == "missing":
        raise IndexMissing(f"No index at {settings.index_dir}. Build it with `emnqa index`.")
    if status == "stale":
        _err(f"warning: {why}; results may be out of date. Run `emnqa index` to update.")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
