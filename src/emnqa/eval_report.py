"""Write an evaluation run: report.md, results.json (one row per question),
and hit_at_k.png (hit@k curves per mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .evaluation import CURVE, METRICS, ModeResult

HEADLINE = ("hit@1", "hit@5", "mrr@10")


def write_run(results: Sequence[ModeResult], out_dir: Path, meta: dict, answers=None) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": out_dir / "report.md",
        "results": out_dir / "results.json",
        "plot": out_dir / "hit_at_k.png",
    }
    paths["results"].write_text(
        json.dumps(results_json(results, meta, answers), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    paths["report"].write_text(report_markdown(results, meta, answers), encoding="utf-8")
    plot_curves(results, paths["plot"])
    return paths


def summary(result: ModeResult) -> dict:
    return {
        "single_turn": result.single_turn,
        "followups": result.followups,
        "by_type": result.by_type,
        "hit_at_k": result.curve,
        "latency_ms": result.latency,
        "counts": result.counts,
    }


def answer_summary(answers) -> dict:
    return {
        "overall": answers.overall,
        "single_turn": answers.single_turn,
        "followups": answers.followups,
        "by_type": answers.by_type,
        "latency_ms": answers.latency,
    }


def results_json(results: Sequence[ModeResult], meta: dict, answers=None) -> dict:
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
                "citations": [{"n": c.n, "chunk_id": c.passage.chunk.chunk_id, "quote": c.quote} for c in answer.citations],
                "has_gold": run.has_gold,
                "citation_precision": run.citation_precision,
                "quote_fidelity": run.quote_fidelity,
                "latency_ms": round(run.latency_ms, 2),
            }
    return {
        "meta": meta,
        "modes": {r.mode: summary(r) for r in results},
        "answers": answer_summary(answers) if answers is not None else None,
        "questions": list(rows.values()),
    }


def report_markdown(results: Sequence[ModeResult], meta: dict, answers=None) -> str:
    modes = [r.mode for r in results]
    first = results[0]
    lines = [
        "# emnqa evaluation",
        "",
        f"Questions: `{meta.get('questions')}` — {first.counts['questions']} in all: "
        f"{first.counts['single_turn']} single-turn answerable, {first.counts['followups']} follow-ups, "
        f"{first.counts['unanswerable']} unanswerable (not scored for retrieval).  ",
        f"Index: `{meta.get('index')}` ({meta.get('chunks')} chunks), k = {meta.get('k')}, "
        f"run {meta.get('created')}.",
        "",
        "## Retrieval, single-turn questions",
        "",
        _table(["metric", *modes], [[m, *(_f(r.single_turn.get(m)) for r in results)] for m in METRICS]),
        "",
        "## Follow-up questions (searched as typed, without the conversation)"
        if not meta.get("interprets_followups")
        else "## Follow-up questions",
        "",
        _table(["metric", *modes], [[m, *(_f(r.followups.get(m)) for r in results)] for m in METRICS]),
        "",
        "## By question type (single-turn)",
        "",
    ]
    types = sorted({t for r in results for t in r.by_type})
    header = ["type", "n"] + [f"{metric} {mode}" for metric in HEADLINE for mode in modes]
    body = []
    for t in types:
        n = next((r.by_type[t]["n"] for r in results if t in r.by_type), 0)
        body.append([t, str(n)] + [_f(r.by_type.get(t, {}).get(metric)) for metric in HEADLINE for r in results])
    lines += [_table(header, body), "", "## Latency per question (ms)", ""]
    lines.append(
        _table(["mode", "p50", "p95"], [[r.mode, f"{r.latency['p50']:.1f}", f"{r.latency['p95']:.1f}"] for r in results])
    )
    lines += ["", "## Misses at 5 (single-turn)", ""]
    for result in results:
        misses = [
            run for run in result.runs
            if run.question.answerable and not run.question.is_followup and run.metrics.get("hit@5", 0) == 0
        ]
        ids = ", ".join(run.question.id for run in misses) or "none"
        lines.append(f"- {result.mode} ({len(misses)}): {ids}")
    if answers is not None:
        lines += ["", *answer_section(answers)]
    lines += ["", "Per-question rows: `results.json`; hit@k curves: `hit_at_k.png`.", ""]
    return "\n".join(lines)


def answer_section(answers) -> list[str]:
    o = answers.overall
    names = ("answer_has_gold", "citation_precision", "quote_fidelity", "false_abstention")
    lines = [
        "## Answers",
        "",
        _table(
            ["", "answer has gold", "citation precision", "quote fidelity", "false abstention", "n"],
            [
                [label, *(_f(group.get(m)) for m in names), str(group.get("n", 0))]
                for label, group in (("single-turn", answers.single_turn), ("follow-ups", answers.followups),
                                     ("all answerable", o))
            ],
        ),
        "",
        f"Unanswerable questions: abstention recall {_f(o.get('abstention_recall'))} "
        f"({o.get('unanswerable_n', 0)} questions). Quote fidelity over every answer: {_f(o.get('quote_fidelity'))}. "
        f"Latency per answer: p50 {answers.latency['p50']:.1f} ms, p95 {answers.latency['p95']:.1f} ms.",
        "",
        "By type (single-turn):",
        "",
        _table(
            ["type", "n", "answer has gold", "citation precision", "false abstention"],
            [[t, str(g.get("n", 0)), _f(g.get("answer_has_gold")), _f(g.get("citation_precision")),
              _f(g.get("false_abstention"))] for t, g in answers.by_type.items()],
        ),
        "",
    ]
    wrong = [r.question.id for r in answers.runs if r.question.answerable and not r.has_gold]
    missed = [r.question.id for r in answers.runs if not r.question.answerable and not r.answer.abstained]
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
