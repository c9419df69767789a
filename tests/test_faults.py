"""Faults and hostile input: each gives one clear line (exit code 1, no
traceback), the process keeps working, and no index is lost.

What tests/test_index.py, test_indexing.py and test_cli.py already cover
(damaged files at load time, the lock held in-process, an interrupted
embedding) is not repeated; these go through the CLI and the assistant, and
kill real processes."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from emnqa import cli
from emnqa.assistant import Assistant
from emnqa.config import Settings
from emnqa.errors import InvalidQuery
from emnqa.store.index import active_build_dir, load_index
from emnqa.store.build import build, index_status

from fakes import SMALL_MANIFEST, SMALL_REPORT, FakeEmbedder, write_small_corpus

TESTS = Path(__file__).resolve().parent
MANIFEST, REPORT = SMALL_MANIFEST, SMALL_REPORT
QUESTION = "How many people lodged an asylum application in 2024?"



@pytest.fixture
def corpus(tmp_path):
    return write_small_corpus(tmp_path / "corpus")


@pytest.fixture
def settings(corpus, tmp_path):
    return Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index", model_name="fake/keyword-bag")


@pytest.fixture
def indexed(settings):
    build(settings, embedder_factory=FakeEmbedder, progress=False)
    return settings


def emnqa(settings, *argv):
    return cli.main([*argv, "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)])


def one_error_line(err: str) -> str:
    """The error line, checked to be the last line, friendly, without traceback."""
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("emnqa: ")
    return last


# -- questions ------------------------------------------------------------------


@pytest.fixture
def assistant(indexed):
    return Assistant(indexed, embedder=FakeEmbedder())


@pytest.mark.parametrize(
    "question, message",
    [("", "The question is empty"), (" \n\t ", "The question is empty"), ("x" * 100_000, "100000 characters")],
)
def test_empty_blank_and_huge_questions_are_refused_and_the_assistant_goes_on(assistant, question, message):
    with pytest.raises(InvalidQuery, match=message):
        assistant.ask(question)
    assert "39 615" in assistant.ask(QUESTION).text


@pytest.mark.parametrize(
    "question",
    [
        "\x00asylum\x1b[2J applications\x07 in 2024\x7f",  # control characters, a terminal escape
        "\u202easylum\u200b applications\ufeff 2024",  # bidi override, zero-width space, BOM
        "<script>alert('x')</script> asylum <b>2024</b>",
        '<img src=x onerror="alert(1)"> &amp; asylum',
        "Combien de personnes ont demandé l'asile en Belgique en 2024 ?",
        "Hoeveel mensen hebben in 2024 asiel aangevraagd in België?",
        "🙂" * 500,
        "?",
    ],
)
def test_hostile_questions_get_an_answer_or_not_covered(assistant, question):
    answer = assistant.ask(question)
    assert answer.text.strip()
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # what `ask --json` and the chat send


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize(
    "question, message",
    [("", "The question is empty"), ("   ", "The question is empty"), ("x" * 100_000, "the limit is 2000")],
)
def test_cli_refuses_empty_blank_and_huge_questions_in_one_line(fake_model, indexed, capsys, command, question, message):
    capsys.readouterr()
    assert emnqa(indexed, command, question) == 1
    err = capsys.readouterr().err
    assert message in one_error_line(err) and err.count("\n") == 1


def test_ask_stream_answers_good_lines_and_reports_bad_ones(fake_model, indexed, capsys, monkeypatch):
    import io

    lines = [QUESTION, "x" * 100_000, '{"question": ""}', '{"question": 3}', "{broken", "\x00\x01", "asylum in 2024"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    capsys.readouterr()
    assert emnqa(indexed, "ask", "-") == 1  # some lines failed
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == len(lines)
    assert [("error" in o) for o in out] == [False, True, True, True, True, False, False]  # NULs: "not covered"
    assert "39 615" in out[0]["answer"] and out[1]["line"] == 2 and "limit is 2000" in out[1]["error"]


@pytest.mark.model
def test_command_line_bytes_that_are_not_utf8_are_searched(real_index_dir):
    # Python turns undecodable argv bytes into lone surrogates, which the
    # model's tokenizer used to refuse with a TypeError and a traceback.
    script = Path(sys.executable).with_name("emnqa")
    result = subprocess.run(
        [os.fsencode(script), b"search", b"asylum \xff\xfe applications \xe9 2024", b"-k", b"2", b"--json",
         b"--index", os.fsencode(real_index_dir)],
        capture_output=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    # The question is echoed back byte for byte (stdout's surrogateescape).
    out = json.loads(result.stdout.decode("utf-8", "surrogateescape"))
    assert len(out["passages"]) == 2 and out["question"].startswith("asylum \udcff")


@pytest.mark.model
def test_real_embedder_takes_lone_surrogates(real_embedder):
    vectors = real_embedder.embed(["caf\udce9 asylum", "\ud800"])
    assert vectors.shape == (2, 384) and np.isfinite(vectors).all()
    assert real_embedder.count_wordpieces("caf\udce9") >= 3


# -- corpus files -----------------------------------------------------------------


def test_corpus_files_with_nuls_or_bad_bytes_are_indexed_or_skipped_by_name(fake_model, corpus, settings, capsys):
    (corpus / "nul.txt").write_bytes(b"Visa rules\x00 changed in 2024.\x00 Students\x01 need a visa.\n")
    (corpus / "utf16.txt").write_bytes("Work permits for students in 2024.\n".encode("utf-16-le"))
    (corpus / "latin1.txt").write_bytes("Liège visa statistics.\n".encode("latin-1"))
    assert emnqa(settings, "index") == 0
    err = capsys.readouterr().err
    assert "nul.txt has 3 control characters (NUL, U+0001)" in err
    assert "Skipped: utf16.txt is 50% NUL bytes" in err and "re-save it as UTF-8" in err
    assert "Skipped: latin1.txt is not valid UTF-8" in err
    index = load_index(settings.index_dir)
    assert {d["path"] for d in index.documents.values()} == {"report.txt", "nul.txt"}
    source = (corpus / "nul.txt").read_text(encoding="utf-8")
    for chunk in (c for c in index.chunks if c.doc_id == "nul"):
        assert "\x00" not in chunk.text
        for a, b in chunk.spans:  # offsets still point into the file as it is
            assert source[a:b].replace("\x00", " ").replace("\x01", " ") in chunk.text
    assert emnqa(settings, "search", "visa students") == 0


# -- a damaged index: one line, and `emnqa index` repairs it ----------------------------


def _rewrite_manifest(build_dir, **changes):
    path = build_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _checksum_matches(build_dir, name):
    from emnqa.store.index import _sha256

    files = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    _rewrite_manifest(build_dir, files={**files, name: _sha256(build_dir / name)})


def _other_builds_chunks(build_dir, tmp_path):
    """chunks.jsonl of an index of another corpus, checksum made to agree."""
    other = Settings.from_env(corpus_dir=tmp_path / "other", index_dir=tmp_path / "other-index",
                              model_name="fake/keyword-bag")
    other.corpus_dir.mkdir()
    (other.corpus_dir / "a.md").write_text("# Visa\n\nOne visa.\n", encoding="utf-8")
    build(other, embedder_factory=FakeEmbedder, progress=False)
    (build_dir / "chunks.jsonl").write_bytes((active_build_dir(other.index_dir) / "chunks.jsonl").read_bytes())
    _checksum_matches(build_dir, "chunks.jsonl")


DAMAGE = {
    "truncated faiss file": lambda b, t: (b / "vectors.faiss").write_bytes((b / "vectors.faiss").read_bytes()[:100]),
    "faiss file of garbage, checksum agreeing": lambda b, t: (
        (b / "vectors.faiss").write_bytes(os.urandom(4096)), _checksum_matches(b, "vectors.faiss")),
    "chunk store of another index": _other_builds_chunks,
    "chunk store not UTF-8, checksum agreeing": lambda b, t: (
        (b / "chunks.jsonl").write_bytes(b"\xff\xfe{}\n"), _checksum_matches(b, "chunks.jsonl")),
    "sentence vectors truncated": lambda b, t: (b / "sentences.npy").write_bytes((b / "sentences.npy").read_bytes()[:64]),
    "manifest of format version 1": lambda b, t: _rewrite_manifest(b, format_version=1),
    "manifest of another model": lambda b, t: _rewrite_manifest(b, model={"name": "other/model", "dimension": 768}),
    "manifest not JSON": lambda b, t: (b / "manifest.json").write_text("{", encoding="utf-8"),
    "CURRENT of binary garbage": lambda b, t: (b.parent / "CURRENT").write_bytes(b"\xff\x00\xfe"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_index_is_one_line_then_repaired_by_emnqa_index(fake_model, indexed, tmp_path, capsys, damage):
    DAMAGE[damage](active_build_dir(indexed.index_dir), tmp_path)
    capsys.readouterr()
    for command in ("ask", "search"):
        assert emnqa(indexed, command, QUESTION) == 1
        assert "emnqa index" in one_error_line(capsys.readouterr().err)
    assert emnqa(indexed, "index") == 0  # no --rebuild needed
    assert "Indexed 1 documents" in capsys.readouterr().out
    assert emnqa(indexed, "ask", QUESTION) == 0
    assert "39 615" in capsys.readouterr().out


def test_changed_or_deleted_corpus_files_make_ask_warn_until_reindexed(fake_model, indexed, capsys):
    extra = indexed.corpus_dir / "extra.md"
    extra.write_text("# Visas\n\nVisa rules changed in 2024.\n", encoding="utf-8")
    assert emnqa(indexed, "index") == 0
    extra.unlink()
    capsys.readouterr()
    assert emnqa(indexed, "ask", QUESTION) == 0  # the old index still answers
    captured = capsys.readouterr()
    assert "39 615" in captured.out and "changed since the index was built" in captured.err
    assert emnqa(indexed, "index") == 0 and index_status(indexed)[0] == "ok"


# -- concurrent and interrupted builds ------------------------------------------------


def test_a_second_index_run_during_a_build_is_refused_and_the_first_completes(fake_model, indexed, capsys):
    started, release = threading.Event(), threading.Event()

    class Slow(FakeEmbedder):
        def embed(self, texts, *, progress=False):
            started.set()
            assert release.wait(30)
            return super().embed(texts)

    (indexed.corpus_dir / "report.txt").write_text(REPORT + "\nVisa rules changed.\n", encoding="utf-8")
    result = {}
    first = threading.Thread(target=lambda: result.update(report=build(indexed, embedder_factory=Slow, progress=False)))
    first.start()
    try:
        assert started.wait(30)
        capsys.readouterr()
        assert emnqa(indexed, "index") == 1
        assert "Another `emnqa index` run is writing" in one_error_line(capsys.readouterr().err)
        assert emnqa(indexed, "ask", QUESTION) == 0  # readers are not blocked meanwhile
    finally:
        release.set()
        first.join(30)
    assert not result["report"].up_to_date and index_status(indexed)[0] == "ok"


KILLER = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from fakes import SMALL_MANIFEST, SMALL_REPORT, FakeEmbedder, write_small_corpus
import emnqa.store.index
from emnqa.config import Settings
from emnqa.store.build import build

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

class Dying(FakeEmbedder):
    def embed(self, texts, *, progress=False):
        die()

if {step!r} == "switching CURRENT":
    emnqa.store.index._write_current = die
settings = Settings.from_env(corpus_dir={corpus!r}, index_dir={index!r}, model_name="fake/keyword-bag")
build(settings, embedder_factory=Dying if {step!r} == "embedding" else FakeEmbedder, progress=False)
"""


@pytest.mark.parametrize("step", ["embedding", "switching CURRENT"])
def test_a_build_killed_midway_leaves_the_old_index_and_the_next_run_succeeds(indexed, step):
    before = active_build_dir(indexed.index_dir)
    (indexed.corpus_dir / "report.txt").write_text(REPORT + "\nVisa rules changed.\n", encoding="utf-8")
    code = KILLER.format(tests=str(TESTS), step=step, corpus=str(indexed.corpus_dir), index=str(indexed.index_dir))
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode(errors="replace")
    assert active_build_dir(indexed.index_dir) == before
    assert "39 615" in Assistant(indexed, embedder=FakeEmbedder()).ask(QUESTION).text
    assert index_status(indexed)[0] == "stale"
    # The dead run's lock file is left behind, but nobody holds it.
    report = build(indexed, embedder_factory=FakeEmbedder, progress=False)
    assert not report.up_to_date and index_status(indexed)[0] == "ok"
    builds = {p.name for p in indexed.index_dir.glob("build-*")}
    assert builds == {before.name, active_build_dir(indexed.index_dir).name}  # the orphan was pruned
    assert not list(indexed.index_dir.glob(".tmp-*"))


def test_disk_full_while_saving_is_one_line_and_keeps_the_old_index(fake_model, indexed, capsys, monkeypatch):
    import errno

    import emnqa.store.index as index_module

    before = active_build_dir(indexed.index_dir)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(indexed.index_dir / "x" / "vectors.faiss"))

    original = index_module._write_build_files
    monkeypatch.setattr(index_module, "_write_build_files", full)
    capsys.readouterr()
    assert emnqa(indexed, "index", "--rebuild") == 1
    assert "No space left on device" in one_error_line(capsys.readouterr().err)
    assert active_build_dir(indexed.index_dir) == before and not list(indexed.index_dir.glob(".tmp-*"))
    monkeypatch.setattr(index_module, "_write_build_files", original)
    assert emnqa(indexed, "index", "--rebuild") == 0
