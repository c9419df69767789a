"""Write an evaluation run: report.md, results.json (one row per question),
and hit_at_k.png (hit@k curves per mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .evaluate import CURVE, METRICS, AnswerResult, ModeResult, answer_curve, given_answers, score, score_answers
from .selective import calibration
from .selective import plot as plot_selective
from .splits import HELD_OUT, split_order

HEADLINE = ("hit@1", "hit@5", "mrr@10")


def write_run(results: Sequence[ModeResult], out_dir: Path, meta: dict, answers=None, parts=None) -> dict[str, Path]:
    """Write the run's files; `parts` is `by_split(results, answers)` when the
    caller has it already (scoring each split again costs seconds)."""
    parts = by_split(results, answers) if parts is None else parts
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": out_dir / "report.md",
        "results": out_dir / "results.json",
        "plot": out_dir / "hit_at_k.png",
    }
    paths["results"].write_text(
        json.dumps(results_json(results, meta, answers, parts), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    paths["report"].write_text(report_markdown(results, meta, answers, parts), encoding="utf-8")
    plot_curves(results, paths["plot"])
    if answers is not None and any(r.confidence is not None for r in answers.runs):
        paths["risk_coverage"] = out_dir / "risk_coverage.png"
        curves = {name: answer_curve(part[1].runs) for name, part in parts.items()}
        given = {name: given_answers(part[1].runs) for name, part in parts.items()}
        bins = {name: calibration([r.confidence for r in g], [r.right for r in g]) for name, g in given.items()}
        plot_selective(curves, bins, paths["risk_coverage"])
    return paths


def by_split(results: Sequence[ModeResult], answers: AnswerResult | None) -> dict[str, tuple[list[ModeResult], AnswerResult | None]]:
    """The run scored again split by split (one part, named after the file,
    when the questions came from one file without a split)."""
    names = sorted({r.question.split or "-" for result in results for r in result.runs}
                   | ({r.question.split or "-" for r in answers.runs} if answers else set()),
                   key=split_order)
    if len(names) == 1:
        return {names[0]: (list(results), answers)}
    parts = {}
    for name in names:
        modes = [score(r.mode, [run for run in r.runs if (run.question.split or "-") == name]) for r in results]
        part = score_answers([run for run in answers.runs if (run.question.split or "-") == name]) if answers else None
        parts[name] = (modes, part)
    return parts


def summary(result: ModeResult) -> dict:
    return {
        "single_turn": result.single_turn,
        "followups": result.followups,
        "by_type": result.by_type,
        "hit_at_k": result.curve,
        "groups": result.groups,
        "latency_ms": result.latency,
        "counts": result.counts,
    }


def answer_summary(answers) -> dict:
    return {
        "overall": answers.overall,
        "single_turn": answers.single_turn,
        "followups": answers.followups,
        "by_type": answers.by_type,
        "groups": answers.groups,
        "latency_ms": answers.latency,
    }


def splits_summary(parts: dict) -> dict:
    """Per split, the summary of every mode and of the answers."""
    return {
        name: {"modes": {r.mode: summary(r) for r in modes}, "answers": answer_summary(part) if part else None}
        for name, (modes, part) in parts.items()
    }


def results_json(results: Sequence[ModeResult], meta: dict, answers=None, parts=None) -> dict:
    rows: dict[str, dict] = {}
    for result in results:
        for run in result.runs:
            q = run.question
            row = rows.setdefault(
                q.id,
                {
                    "id": q.id,
                    "question": q.question,
                    "type": q.type,
                    "split": q.split or None,
                    "lang": q.lang,
                    "doc": q.doc,
                    "answerable": q.answerable,
                    "followup": q.is_followup,
                    "answers": list(q.answers),
                    "relevant": sorted(run.relevant),
                    "modes": {},
                },
            )
            row["modes"][result.mode] = {
                "query": run.query,
                "retrieved": run.retrieved,
                "first_relevant_rank": run.first_relevant_rank,
                "metrics": {m: round(v, 4) for m, v in run.metrics.items() if m in METRICS},
                "latency_ms": round(run.latency_ms, 2),
            }
    if answers is not None:
        for run in answers.runs:
            answer = run.answer
            rows[run.question.id]["answer"] = {
                "interpreted_query": answer.interpreted_query,
                "text": answer.text,
                "abstained": answer.abstained,
                "citations": [{"n": c.n, "chunk_ids": list(c.passage.chunk_ids), "quote": c.quote} for c in answer.citations],
                "answer@1": run.answer_at_1,
                "answer@any": run.answer_any,
                "confidence": run.confidence,
                "citation_precision": run.citation_precision,
                "quote_fidelity": run.quote_fidelity,
                "latency_ms": round(run.latency_ms, 2),
            }
    return {
        "meta": meta,
        "modes": {r.mode: summary(r) for r in results},
        "answers": answer_summary(answers) if answers is not None else None,
        "splits": splits_summary(by_split(results, answers) if parts is None else parts),
        "questions": list(rows.values()),
    }


SPLIT_HEADLINE = ("answer@1", "answer@any", "citation_precision", "abstention_recall", "false_abstention", "aurc")


def report_markdown(results: Sequence[ModeResult], meta: dict, answers=None, parts=None) -> str:
    parts = by_split(results, answers) if parts is None else parts
    lines = ["# emnqa evaluation", ""]
    first = results[0]
    lines += [
        f"Questions: `{meta.get('questions')}` — {first.counts['questions']} in all.  ",
        f"Index: `{meta.get('index')}` ({meta.get('chunks')} chunks), k = {meta.get('k')}, run {meta.get('created')}.",
        "",
    ]
    if len(parts) > 1:
        lines += ["## By split", "", *split_table(parts), ""]
    for name, (modes, part) in parts.items():
        held_out = name in HELD_OUT
        if len(parts) > 1 or name != "-":
            note = " (held out: aggregate figures only, no per-question rows)" if held_out else ""
            lines += [f"## Split `{name}`{note}", ""]
        lines += split_section(modes, part, held_out)
    files = "Per-question rows: `results.json`; hit@k curves: `hit_at_k.png`"
    if answers is not None and any(r.confidence is not None for r in answers.runs):
        files += "; risk-coverage and calibration: `risk_coverage.png`"
    lines += ["", files + ".", ""]
    return "\n".join(lines)


def split_table(parts: dict) -> list[str]:
    """One row per split: its sizes, the assistant's retrieval and the answers."""
    header = ["split", "questions", "unanswerable", "follow-ups", "hit@5", "mrr@10", *SPLIT_HEADLINE]
    rows = []
    for name, (modes, part) in parts.items():
        shown = next((r for r in modes if r.mode == "assistant"), modes[0])
        o = part.overall if part else {}
        rows.append([
            name, str(shown.counts["questions"]), str(shown.counts["unanswerable"]),
            str(sum(r.question.is_followup for r in shown.runs)),
            _f(shown.single_turn.get("hit@5")), _f(shown.single_turn.get("mrr@10")),
            *(_f(o.get(m)) for m in SPLIT_HEADLINE),
        ])
    return [_table(header, rows), "", f"Retrieval columns: `{shown.mode}` mode, single-turn questions."]


def split_section(results: Sequence[ModeResult], answers, held_out: bool) -> list[str]:
    modes = [r.mode for r in results]
    first = results[0]
    lines = [
        f"{first.counts['questions']} questions: {first.counts['single_turn']} single-turn answerable, "
        f"{first.counts['followups']} follow-ups, {first.counts['unanswerable']} unanswerable (not scored for retrieval).",
        "",
        "### Retrieval, single-turn questions",
        "",
        _table(["metric", *modes], [[m, *(_f(r.single_turn.get(m)) for r in results)] for m in METRICS]),
        "",
        "### Follow-up questions",
        "",
        _table(["metric", *modes], [[m, *(_f(r.followups.get(m)) for r in results)] for m in METRICS]),
        "",
        "### By question type (single-turn)",
        "",
    ]
    types = sorted({t for r in results for t in r.by_type})
    header = ["type", "n"] + [f"{metric} {mode}" for metric in HEADLINE for mode in modes]
    body = []
    for t in types:
        n = next((r.by_type[t]["n"] for r in results if t in r.by_type), 0)
        body.append([t, str(n)] + [_f(r.by_type.get(t, {}).get(metric)) for metric in HEADLINE for r in results])
    lines += [_table(header, body), "", "### By language (answerable, single-turn and follow-ups)", ""]
    langs = sorted({g for r in results for g in r.groups.get("lang", {})})
    lines.append(_table(
        ["language", "n"] + [f"{metric} {mode}" for metric in HEADLINE for mode in modes],
        [[lang, str(next((r.groups["lang"][lang]["n"] for r in results if lang in r.groups["lang"]), 0))]
         + [_f(r.groups["lang"].get(lang, {}).get(metric)) for metric in HEADLINE for r in results] for lang in langs],
    ))
    lines += ["", "### Latency per question (ms)", ""]
    lines.append(
        _table(["mode", "p50", "p95"], [[r.mode, f"{r.latency['p50']:.1f}", f"{r.latency['p95']:.1f}"] for r in results])
    )
    if not held_out:
        lines += ["", "### Misses at 5 (single-turn)", ""]
        for result in results:
            misses = [
                run for run in result.runs
                if run.question.answerable and not run.question.is_followup and run.metrics.get("hit@5", 0) == 0
            ]
            ids = ", ".join(run.question.id for run in misses) or "none"
            lines.append(f"- {result.mode} ({len(misses)}): {ids}")
    if answers is not None:
        lines += ["", *answer_section(answers, held_out)]
    return lines


ANSWER_COLUMNS = ("answer@1", "answer@any", "citation_precision", "quote_fidelity", "false_abstention",
                  "abstention_recall", "aurc", "coverage")


def answer_section(answers, held_out: bool = False) -> list[str]:
    o = answers.overall
    lines = [
        "### Answers",
        "",
        "answer@1: the first quote holds a gold string (what a reader sees first); answer@any: some quote does; "
        "citation precision and false abstention over answerable questions; abstention recall over unanswerable "
        "ones; AURC: mean risk of the answers given, most confident first (lower is better), up to `coverage`.",
        "",
    ]
    header = ["group", "n", "unanswerable", *ANSWER_COLUMNS]
    rows = [["all", str(o.get("n", 0)), str(o.get("unanswerable_n", 0)), *(_f(o.get(m)) for m in ANSWER_COLUMNS)]]
    for grouping in ("turn", "lang", "type"):
        for name, g in answers.groups.get(grouping, {}).items():
            rows.append([f"{grouping}: {name}", str(g.get("n", 0)), str(g.get("unanswerable_n", 0)),
                         *(_f(g.get(m)) for m in ANSWER_COLUMNS)])
    lines += [_table(header, rows), "",
              f"Latency per answer: p50 {answers.latency['p50']:.1f} ms, p95 {answers.latency['p95']:.1f} ms.", ""]
    if not held_out:
        first = [r.question.id for r in answers.runs if r.question.answerable and r.answer_any and not r.answer_at_1]
        wrong = [r.question.id for r in answers.runs if r.question.answerable and not r.answer_any]
        missed = [r.question.id for r in answers.runs if not r.question.answerable and not r.answer.abstained]
        lines.append(f"- answerable, gold string quoted but not first ({len(first)}): {', '.join(first) or 'none'}")
        lines.append(f"- answerable without a gold string in the answer ({len(wrong)}): {', '.join(wrong) or 'none'}")
        lines.append(f"- unanswerable but answered ({len(missed)}): {', '.join(missed) or 'none'}")
    return lines


def plot_curves(results: Sequence[ModeResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ks = list(range(1, len(CURVE) + 1))
    for result in results:
        ax.plot(ks, [result.curve.get(m, 0.0) for m in CURVE], marker="o", label=result.mode)
    ax.set_xlabel("k")
    ax.set_ylabel("hit@k (single-turn)")
    ax.set_ylim(0, 1)
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Retrieval: a relevant passage in the top k")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def _f(value) -> str:
    return "–" if value is None else f"{value:.3f}"
