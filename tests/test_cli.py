"""`emnqa index` and `emnqa search`: output, JSON shape, one-line errors.

The first tests run the real model on the real corpus; the error tests use
the fake embedder or need no model at all."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emnqa import cli

QUESTION = "How many people applied for international protection in Belgium in 2024?"


@pytest.mark.model
def test_search_finds_the_2024_asylum_figure_in_the_top_three(real_index_dir, capsys):
    code = cli.main(["search", QUESTION, "-k", "5", "--json", "--index", str(real_index_dir)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    passages = out["passages"]
    assert [p["rank"] for p in passages] == [1, 2, 3, 4, 5]
    assert set(passages[0]) == {"rank", "chunk_ids", "doc_id", "title", "section", "score", "text"}
    assert any("39 615" in p["text"] for p in passages[:3])
    assert passages[0]["score"] >= passages[-1]["score"]


@pytest.mark.model
def test_search_reads_what_ask_reads_by_default_and_each_retriever_on_request(real_index_dir, capsys):
    ranked = {}
    for mode in ("assistant", "hybrid", "dense", "bm25"):
        argv = ["search", QUESTION, "-k", "10", "--json", "--index", str(real_index_dir)]
        assert cli.main(argv + ([] if mode == "assistant" else ["--mode", mode])) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["mode"] == mode
        ranked[mode] = [tuple(p["chunk_ids"]) for p in out["passages"]]
    # The default gives the passages `ask` quotes from: widened, so a passage
    # may hold several chunks; a retriever alone returns chunks.
    assert any(len(ids) > 1 for ids in ranked["assistant"])
    assert all(len(ids) == 1 for mode in ("hybrid", "dense", "bm25") for ids in ranked[mode])
    assert ranked["dense"] != ranked["bm25"]


@pytest.mark.model
def test_search_plain_output_names_title_and_section(real_index_dir, capsys):
    assert cli.main(["search", QUESTION, "-k", "2", "--index", str(real_index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] ")
    assert "Asylum and Migration Overview Belgium 2024 — " in out


def test_console_script_error_is_one_line_without_traceback(tmp_path):
    script = Path(sys.executable).with_name("emnqa")
    result = subprocess.run(
        [str(script), "search", "anything", "--index", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "emnqa index" in result.stderr



@pytest.fixture
def small_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "asylum.md").write_text(
        "# Asylum\n\nIn 2024, 39 615 people lodged an asylum application.\n\n# Return\n\nReturn rose.\n",
        encoding="utf-8",
    )
    return corpus


def test_index_prints_counts_then_up_to_date(fake_model, small_corpus, tmp_path, capsys):
    args = ["index", "--corpus", str(small_corpus), "--index", str(tmp_path / "idx")]
    assert cli.main(args) == 0
    out = capsys.readouterr()
    assert "Indexed 1 documents into" in out.out and "tokens" in out.out
    assert "not in manifest.toml" in out.err  # the file had no manifest entry: said, not fatal
    assert cli.main(args) == 0
    assert "is up to date" in capsys.readouterr().out


def test_search_warns_when_the_corpus_changed(fake_model, small_corpus, tmp_path, capsys):
    idx = str(tmp_path / "idx")
    cli.main(["index", "--corpus", str(small_corpus), "--index", idx])
    (small_corpus / "asylum.md").write_text("# Asylum\n\nChanged.\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["search", "asylum", "--corpus", str(small_corpus), "--index", idx]) == 0
    err = capsys.readouterr().err
    assert "changed since the index was built" in err and "emnqa index" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "   "], "The question is empty"),
        (["search", "asylum", "-k", "0"], "k must be greater than 0"),
        (["search", "x" * 2001], "the limit is 2000"),
    ],
)
def test_bad_search_input_is_one_friendly_line(fake_model, small_corpus, tmp_path, capsys, argv, message):
    idx = str(tmp_path / "idx")
    cli.main(["index", "--corpus", str(small_corpus), "--index", idx])
    capsys.readouterr()
    assert cli.main(argv + ["--corpus", str(small_corpus), "--index", idx]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_corrupt_index_says_how_to_fix(fake_model, small_corpus, tmp_path, capsys):
    from emnqa.store.index import active_build_dir

    idx = tmp_path / "idx"
    cli.main(["index", "--corpus", str(small_corpus), "--index", str(idx)])
    (active_build_dir(idx) / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["search", "asylum", "--corpus", str(small_corpus), "--index", str(idx)]) == 1
    err = capsys.readouterr().err
    assert "chunks.jsonl" in err and "emnqa index --rebuild" in err


def test_missing_corpus_dir_is_one_line(fake_model, tmp_path, capsys):
    assert cli.main(["index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("emnqa: ") and "nope" in last and "Traceback" not in err


def test_unwritable_index_location_is_one_line(fake_model, small_corpus, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    assert cli.main(["index", "--corpus", str(small_corpus), "--index", str(blocker / "idx")]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("emnqa: ") and "idx" in last


def test_eval_writes_report_results_and_plot(fake_model, small_corpus, tmp_path, capsys):
    idx = str(tmp_path / "idx")
    cli.main(["index", "--corpus", str(small_corpus), "--index", idx])
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a-1", "question": "How many lodged an asylum application?", "answers": ["39 615"],
                    "doc": "asylum", "answerable": True, "type": "numeric"}) + "\n"
        + json.dumps({"id": "a-2", "question": "Visa numbers in 2031?", "answers": [], "doc": None,
                      "answerable": False, "type": "numeric"}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    capsys.readouterr()
    code = cli.main(["eval", "--questions", str(questions), "--out", str(out), "--json",
                     "--corpus", str(small_corpus), "--index", idx])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["modes"]) == {"bm25", "dense", "hybrid", "assistant"}
    assert summary["modes"]["bm25"]["single_turn"]["hit@1"] == 1.0
    assert {p.name for p in out.iterdir()} == {"report.md", "results.json", "hit_at_k.png", "risk_coverage.png"}
    assert summary["answers"]["overall"]["answer@1"] in (0.0, 1.0)


def _split_files(eval_dir):
    eval_dir.mkdir()
    line = lambda qid, q, answers: json.dumps({  # noqa: E731
        "id": qid, "question": q, "answers": answers, "doc": "asylum" if answers else None,
        "answerable": bool(answers), "type": "numeric"})
    (eval_dir / "train.jsonl").write_text(line("tr-1", "How many lodged an asylum application?", ["39 615"]) + "\n",
                                          encoding="utf-8")
    (eval_dir / "questions.jsonl").write_text(line("dv-1", "asylum applications count", ["39 615"]) + "\n",
                                              encoding="utf-8")
    (eval_dir / "test.jsonl").write_text(line("te-1", "Combien de demandes d'asile ?", ["39 615"]) + "\n"
                                         + line("te-2", "Visa numbers in 2031?", []) + "\n", encoding="utf-8")


def test_eval_split_all_reports_each_split_and_compare_pairs_two_runs(
    fake_model, small_corpus, tmp_path, capsys, monkeypatch
):
    _split_files(tmp_path / "eval")
    monkeypatch.setattr("emnqa.config.PROJECT_ROOT", tmp_path)
    idx = str(tmp_path / "idx")
    cli.main(["index", "--corpus", str(small_corpus), "--index", idx])
    capsys.readouterr()
    assert cli.main(["eval", "--split", "all", "--mode", "bm25", "--out", str(tmp_path / "a"), "--json",
                     "--corpus", str(small_corpus), "--index", idx]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["splits"]) == {"train", "dev", "test"}
    assert summary["splits"]["test"]["answers"]["overall"]["unanswerable_n"] == 1
    report = (tmp_path / "a" / "report.md").read_text(encoding="utf-8")
    assert "## By split" in report and "te-1" not in report and "te-2" not in report
    assert cli.main(["eval", "--split", "test", "--mode", "bm25", "--out", str(tmp_path / "b"),
                     "--corpus", str(small_corpus), "--index", idx]) == 0
    capsys.readouterr()
    assert cli.main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "2 questions only in A and 0 only in B are left out; 2 are paired." in out
    assert "test   abstention_recall" in out and "te-" not in out


def test_eval_compare_of_a_missing_run_is_one_line(tmp_path, capsys):
    assert cli.main(["eval", "--compare", str(tmp_path / "nope"), str(tmp_path / "nope2")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No evaluation run at" in err


def test_eval_split_and_questions_cannot_be_combined(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["eval", "--split", "test", "--questions", str(tmp_path / "q.jsonl")])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_eval_with_a_broken_question_file_is_one_line(fake_model, small_corpus, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "x"}\n', encoding="utf-8")
    assert cli.main(["eval", "--questions", str(questions), "--index", str(tmp_path / "idx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "q.jsonl line 1 has no 'question'" in err


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("EMNQA_TOP_K", "-3", "EMNQA_TOP_K must be at least 1. Currently it is -3."),
        ("EMNQA_EMBED_BACKEND", "gpu", "EMNQA_EMBED_BACKEND must be one of torch, onnx, onnx-int8. Currently it is 'gpu'."),
        ("EMNQA_PORT", "70000", "EMNQA_PORT must be at most 65535. Currently it is 70000."),
        ("EMNQA_CHUNK_TOKENS", "many", "EMNQA_CHUNK_TOKENS must be a whole number. Currently it is 'many'."),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, tmp_path, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert cli.main(["ask", "How many applied?", "--index", str(tmp_path / "idx")]) == 1
    err = capsys.readouterr().err
    assert err == f"emnqa: {message}\n"
