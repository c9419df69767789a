"""The chat the README's run command starts: `python app.py` launched for
real (real model, real index, built at start-up) and driven through Gradio's
API with gradio_client, as any API client would."""

import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from app_process import REPO, start_app, stop_app

QUESTION = "How many people applied for international protection in Belgium in 2024?"


@pytest.fixture(scope="module")
def chat(real_index_dir, tmp_path_factory):
    """app.py over an index directory holding only the embedding cache of the
    real index: the app must build the index first (in about a second, every
    vector cached), then serve."""
    root = tmp_path_factory.mktemp("app")
    index = root / "index"
    shutil.copytree(real_index_dir / "cache", index / "cache")
    log = root / "app.log"
    env = {"EMNQA_INDEX": str(index), "EMNQA_CORPUS": str(REPO / "corpus"),
           "EMNQA_FEEDBACK_PATH": str(root / "feedback.jsonl")}
    proc, url = start_app([], env, log)
    yield url, log
    stop_app(proc)


@pytest.fixture
def client(chat):
    from gradio_client import Client

    return Client(chat[0], verbose=False)  # a new session: no chat history


@pytest.mark.model
def test_a_missing_index_is_built_first_with_visible_progress(chat):
    out = chat[1].read_text()
    assert "Reading the corpus" in out and "Embedding" in out
    assert "Indexed 5 documents into" in out
    assert out.index("Indexed 5 documents") < out.index("The chat is at http://127.0.0.1:")
    assert "Traceback" not in out


@pytest.mark.model
def test_chat_answers_with_a_cited_source(client):
    answer, panel = client.predict(QUESTION, api_name="/chat")
    assert answer.startswith("**39 615** [1]")  # the short answer first
    assert "**Sources**" not in answer  # the sources are the panel's
    assert '<span class="emnqa-n">[1]</span>' in panel
    assert "Asylum and Migration Overview Belgium 2024" in panel
    assert re.search(r"<mark>[^<]*39 615 individuals[^<]*</mark>", panel)  # the quote, highlighted in its passage


@pytest.mark.model
@pytest.mark.parametrize(
    "question, searched",
    [("Combien de personnes ont demandé la protection internationale en Belgique en 2024 ?", "Recherché (en anglais) :"),
     ("Hoeveel verzoeken om internationale bescherming werden in 2024 in België ingediend?", "Gezocht naar (in het Engels):")],
    ids=["fr", "nl"],
)
def test_a_french_or_dutch_question_is_answered_with_labels_in_its_language(client, question, searched):
    answer, panel = client.predict(question, api_name="/chat")
    assert "39 615" in answer and "2024" in answer.split("\n", 1)[0]  # the English query searched, shown first
    assert searched in panel and "<mark>" in panel


@pytest.mark.model
@pytest.mark.parametrize(
    "message, says",
    [("", "the message is empty"), ("   \n ", "the message is empty"), ("a" * 2001, "the limit is 2,000"),
     ("\x00" * 8, "not text")],
    ids=["empty", "blank", "2001-chars", "nul-bytes"],
)
def test_blank_and_overlong_messages_are_refused_over_the_api(client, message, says):
    answer, panel = client.predict(message, api_name="/chat")
    assert answer.startswith("⚠️") and says in answer
    assert says in panel and "<mark>" not in panel


@pytest.mark.model
def test_filters_restrict_the_sources(client):
    answer, panel = client.predict("What happened with the reception crisis?", ["event-2023-slides"], [],
                                   api_name="/chat")
    assert "EMN Belgium national event" in panel
    assert "Asylum and Migration Overview" not in panel and "news items" not in panel


@pytest.mark.model
def test_an_uncovered_question_says_not_covered_with_related_passages(client):
    answer, panel = client.predict("How do I bake sourdough bread?", api_name="/chat")
    assert answer.startswith("**Not covered.**")
    assert 'class="emnqa-not-covered"' in panel and 'class="emnqa-passage"' in panel


@pytest.mark.model
def test_file_uploads_are_refused(chat):
    """Issue 17: anyone could upload files of any size; the chat takes none."""
    body = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.txt\"\r\n\r\n" + b"x" * 1000 + b"\r\n--b--\r\n"
    for path in ("gradio_api/upload", "gradio_api/upload?upload_id=abc", "upload"):
        request = urllib.request.Request(chat[0] + path, data=body, method="POST",
                                         headers={"Content-Type": "multipart/form-data; boundary=b"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403 and b"takes no files" in refused.value.read()


@pytest.mark.model
def test_a_request_naming_another_host_is_refused(chat):
    """Issue 17: any Host header was accepted (DNS rebinding changed /config's root)."""
    for host, status in (("evil.example", 400), ("localhost", 200), ("127.0.0.1", 200)):
        request = urllib.request.Request(chat[0] + "config", headers={"Host": host})
        try:
            code = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as refused:
            code = refused.code
        assert code == status, host


@pytest.mark.model
def test_every_page_sends_the_content_security_policy(chat):
    with urllib.request.urlopen(chat[0], timeout=5) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:" in policy and "connect-src 'self'" in policy
    assert "object-src 'none'" in policy


def test_app_refuses_a_user_name_without_a_password_in_one_line(tmp_path):
    env = {**os.environ, "EMNQA_AUTH_USER": "ana", "EMNQA_INDEX": str(tmp_path / "index")}
    env.pop("EMNQA_AUTH_PASSWORD", None)
    result = subprocess.run([sys.executable, str(REPO / "app.py")], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "emnqa: A user name and a password are needed together; EMNQA_AUTH_PASSWORD is not set. "
        "Set both EMNQA_AUTH_USER and EMNQA_AUTH_PASSWORD, or neither."
    ]
    assert not (tmp_path / "index").exists()  # refused before any indexing


def test_serve_subcommand_takes_host_and_port(monkeypatch):
    from emnqa import cli

    seen = {}
    monkeypatch.setattr("emnqa.web.server.serve", lambda settings, say=None: seen.setdefault("settings", settings))
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8123", "--index", "/tmp/emnqa-idx"]) == 0
    settings = seen["settings"]
    assert (settings.host, settings.port, str(settings.index_dir)) == ("0.0.0.0", 8123, "/tmp/emnqa-idx")


def test_app_options_default_to_the_settings_and_override_them(monkeypatch):
    sys.path.insert(0, str(REPO))
    try:
        import app
    finally:
        sys.path.remove(str(REPO))
    seen = []
    monkeypatch.setattr("emnqa.web.server.serve", seen.append)
    monkeypatch.setenv("EMNQA_PORT", "8124")
    assert app.main([]) == 0
    assert app.main(["--host", "0.0.0.0", "--port", "9000"]) == 0
    assert [(s.host, s.port) for s in seen] == [("127.0.0.1", 8124), ("0.0.0.0", 9000)]
