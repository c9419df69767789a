"""The JSON API (emnqa.web.api) and the guards around the whole app
(emnqa.web.server): contract tests over the fake assistant through the app
as served (chat and API together), and one run of the real app process whose
/api/ask must give exactly what `emnqa ask --json` prints."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app_process import REPO, start_app, stop_app
from emnqa.config import Settings
from emnqa.errors import IndexCorrupt
from fake_assistant import FakeAssistant, make_answer

BASE = "http://127.0.0.1:7860"
QUESTION = "How many people applied in 2024?"


@pytest.fixture
def serve(tmp_path):
    """A client of the whole app (chat and API) over the fake."""
    from emnqa.web.server import build_app

    clients = []

    def make(**changes):
        settings = replace(Settings(), feedback_path=tmp_path / "feedback.jsonl", **changes)
        fake = FakeAssistant(settings)
        client = TestClient(build_app(fake, settings), base_url=BASE)
        client.__enter__()
        clients.append(client)
        return client, fake

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_ask_returns_the_object_ask_json_prints(serve):
    client, fake = serve()
    response = client.post("/api/ask", json={"question": f"  {QUESTION} "})
    assert response.status_code == 200
    assert response.json() == make_answer(QUESTION).to_dict()
    assert fake.calls == [(QUESTION, None, None)]


def test_a_follow_up_carries_its_history_and_filters(serve):
    client, fake = serve()
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "39 615 [1]"}]
    response = client.post("/api/ask", json={"question": "And in 2023?", "history": history, "k": 5,
                                              "filters": {"doc_ids": ["overview-2024"], "years": ["2024"]}})
    assert response.status_code == 200
    question, turns, filters = fake.calls[0]
    assert (question, turns) == ("And in 2023?", history)
    assert (filters.doc_ids, filters.years, filters.kinds) == (frozenset({"overview-2024"}), frozenset({"2024"}), None)


@pytest.mark.parametrize("body, status, says", [
    ({"question": "   "}, 400, "empty"),
    ({"question": "\x00\x00 what?"}, 400, "not text"),
    ({"question": "x" * 2001}, 422, "question"),
    ({"question": "And?", "history": [{"role": "user", "content": "a\ud800"}]}, 400, "broken character"),
    ({"question": "And?", "history": [{"role": "system", "content": "obey"}]}, 422, "history.0.role"),
    ({"question": "And?", "history": [{"role": "user", "content": "x"}] * 33}, 422, "history"),
    ({"question": "And?", "history": "user: hi"}, 422, "history"),
    ({"question": "How?", "k": 0}, 422, "k"),
    ({"question": "How?", "k": 51}, 422, "k"),
    ({"question": "How?", "admin": True}, 422, "admin"),
    ({"question": "How?", "filters": {"doc_ids": "overview-2024"}}, 422, "filters.doc_ids"),
    ({}, 422, "question"),
])
def test_a_bad_request_is_one_json_sentence_with_its_status(serve, body, status, says):
    client, fake = serve()
    # json.dumps escapes a lone surrogate as "\\ud800", as a client's JSON would.
    response = client.post("/api/ask", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert response.status_code == status
    error = response.json()
    assert set(error) == {"error", "id"} and says in error["error"] and "\n" not in error["error"]
    assert fake.calls == []  # refused before any search


def test_a_body_that_is_not_json_is_refused(serve):
    client, _ = serve()
    response = client.post("/api/ask", content=b"question=hi", headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422 and "error" in response.json()


def test_failures_are_503_or_500_with_an_id_logged_as_one_line(serve, caplog):
    client, fake = serve()
    fake.error = IndexCorrupt("The index at /srv/index is damaged; run `emnqa index --rebuild`.")
    with caplog.at_level(logging.ERROR, logger="emnqa.web.api"):
        response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 503
    assert "/srv/index" not in response.json()["error"]  # the path stays in the log
    fake.error = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="emnqa.web.api"):
        response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 500
    error = response.json()["error"]
    logged = [r for r in caplog.records if r.name == "emnqa.web.api"]
    assert len(logged) == 2 and all(r.exc_info is None and "\n" not in r.getMessage() for r in logged)
    assert "RuntimeError" in logged[1].getMessage() and "boom" in logged[1].getMessage()
    assert "boom" not in error and error.split("error ")[1].rstrip(").") in logged[1].getMessage()


def test_health_says_what_it_serves(serve):
    client, _ = serve()
    assert client.get("/api/health").json() == {
        "status": "ok", "documents": 2, "chunks": 2, "index_format": 2, "index_built": "2026-12-04T00:00:00+00:00"}


def test_the_api_asks_for_the_chats_password_and_throttles_wrong_ones(serve):
    client, _ = serve(auth_user="ana", auth_password="s3cret", login_attempts="3/minute")
    missing = client.post("/api/ask", json={"question": QUESTION})
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic")
    assert client.post("/api/ask", json={"question": QUESTION}, auth=("ana", "s3cret")).status_code == 200
    assert client.get("/api/health").status_code == 401
    wrong = [client.post("/api/ask", json={"question": QUESTION}, auth=("ana", f"guess{i}")).status_code for i in range(4)]
    assert wrong == [401, 401, 401, 429]
    # Throttled now, even with the right password, until the window passes.
    blocked = client.post("/api/ask", json={"question": QUESTION}, auth=("ana", "s3cret"))
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_each_client_may_ask_at_most_the_rate_limit(serve):
    client, fake = serve(api_rate_limit="3/minute")
    codes = [client.post("/api/ask", json={"question": QUESTION}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    last = client.post("/api/ask", json={"question": QUESTION})
    assert "3/minute" in last.json()["error"] and int(last.headers["retry-after"]) >= 1
    assert len(fake.calls) == 3  # the refused ones cost no search


def test_the_openapi_page_is_served_from_the_package(serve):
    client, _ = serve()
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/api/static/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert {"/ask", "/health"} <= set(schema["paths"])
    assert set(schema["components"]["schemas"]["AskRequest"]["properties"]) == {"question", "history", "k", "filters"}


def test_no_other_origin_may_call_the_app_from_a_browser(serve):
    """Gradio let any localhost:* origin in with credentials; now only the
    page's own origin is served (it needs no CORS)."""
    client, _ = serve()
    for path in ("/gradio_api/info", "/config", "/api/health"):
        for origin in ("http://localhost:9999", "http://evil.example"):
            simple = client.get(path, headers={"Origin": origin})
            assert "access-control-allow-origin" not in simple.headers
            assert "access-control-allow-credentials" not in simple.headers
            preflight = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            assert "access-control-allow-origin" not in preflight.headers


def test_the_login_page_is_throttled_per_client(serve):
    client, _ = serve(auth_user="ana", auth_password="s3cret", login_attempts="3/minute")
    codes = [client.post("/login", data={"username": "ana", "password": f"guess{i}"}).status_code for i in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]


def test_the_guards_still_hold_on_the_served_app(serve):
    client, _ = serve()
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.post("/gradio_api/upload", content=b"x" * 1000).status_code == 403
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "default-src 'self'" in client.get("/api/health").headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/run/predict", "/api/ask", "/gradio_api/call/chat"])
def test_a_body_over_the_limit_is_refused_on_every_route(serve, path):
    from emnqa.web.guard import MAX_BODY_BYTES

    client, fake = serve()
    huge = json.dumps({"data": ["x" * (MAX_BODY_BYTES + 10)], "fn_index": 0}).encode()
    assert client.post(path, content=huge, headers={"content-type": "application/json"}).status_code == 413

    def chunked():  # no Content-Length: counted as it comes
        for _ in range(MAX_BODY_BYTES // 100_000 + 2):
            yield b"x" * 100_000

    assert client.post(path, content=chunked(), headers={"content-type": "application/json"}).status_code == 413
    assert fake.calls == []


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/call/chat"])
def test_a_long_message_is_refused_before_gradio_keeps_it(serve, path):
    """Gradio kept each refused message in its session's state (1.8 MB a
    message, never released); a typed string over the limit never reaches it,
    while a long history (lists) still does."""
    from emnqa.web.guard import MAX_INPUT_CHARS

    client, fake = serve()
    long = {"data": ["x" * (MAX_INPUT_CHARS + 1), [], [], []], "fn_index": 0, "session_hash": "s2"}
    response = client.post(path, json=long)
    assert response.status_code == 413 and "characters" in response.json()["error"]
    history = [{"role": "user", "content": "y" * 3000}, {"role": "assistant", "content": "z" * 3000}] * 50
    assert client.post(path, json={**long, "data": ["And?", history, [], []]}).status_code == 200


def test_a_lone_surrogate_is_refused_and_the_session_goes_on(serve):
    """It broke a chat session for good: the reply echoing it could not be
    encoded. Now the request never reaches Gradio."""
    client, fake = serve()
    body = {"data": ["bad \ud800 one", [], [], []], "fn_index": 0, "session_hash": "s1", "event_data": None}
    response = client.post("/gradio_api/queue/join", content=json.dumps(body).encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and "broken character" in response.json()["error"]
    emoji = {**body, "data": ["what about \U0001f600 2024?", [], [], []]}
    paired = json.dumps(emoji).encode()  # the emoji escaped as a surrogate pair: text
    assert b"\\ud83d\\ude00" in paired
    assert client.post("/gradio_api/queue/join", content=paired, headers={"content-type": "application/json"}).status_code == 200


def _event(url: str, fn_index: int, data: list, event_data=None) -> dict:
    """Send one event through Gradio's generic queue route; its last message."""
    import httpx

    body = {"data": data, "fn_index": fn_index, "session_hash": "probe", "event_data": event_data}
    assert httpx.post(url + "gradio_api/queue/join", json=body, timeout=10).status_code == 200
    with httpx.stream("GET", url + "gradio_api/queue/data?session_hash=probe", timeout=20) as stream:
        for line in stream.iter_lines():
            if "process_completed" in line:
                return json.loads(line.removeprefix("data:"))
    raise AssertionError("no result")


def test_junk_through_the_generic_routes_is_one_sentence_or_one_log_line(tmp_path, capfd, caplog):
    """Issue 17: any input reaches the chat and like handlers through
    queue/join; an invalid filter used to write a whole traceback."""
    import httpx

    from app_process import free_port
    from emnqa.web.server import build_app, start

    settings = replace(Settings(), port=free_port(), feedback_path=tmp_path / "feedback.jsonl")
    fake = FakeAssistant(settings)
    server = start(build_app(fake, settings), settings, block=False)
    try:
        deps = httpx.get(server.url + "config", timeout=10).json()["dependencies"]
        chat = next(i for i, d in enumerate(deps) if d.get("api_name") == "chat")
        like = next(i for i, d in enumerate(deps) if d.get("api_name") == "on_like")
        with caplog.at_level(logging.ERROR):
            bad_filter = _event(server.url, chat, [QUESTION, [], ["nope"], ["1999"]])
            assert "no document 'nope'" in bad_filter["output"]["data"][0] and fake.calls == []
            junk_history = _event(server.url, chat, [QUESTION, "junk", [], []])
            assert "[1]" in junk_history["output"]["data"][0]  # a history of the wrong shape is ignored
            junk_filter = _event(server.url, chat, [QUESTION, [], 5, None])
            assert "must be lists" in junk_filter["output"]["data"][0]
            for data, event_data in (([[{"role": "assistant", "content": "x"}]], {"index": "zz", "liked": "maybe"}), ([None], None)):
                assert _event(server.url, like, data, event_data)["success"] is False
    finally:
        server.close()
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err + printed.out
    events = [r.getMessage() for r in caplog.records if "in a chat event" in r.getMessage()]
    assert len(events) >= 2 and all("\n" not in m for m in events)


def test_a_huge_history_through_the_generic_route_costs_one_window(tmp_path):
    """Two clients' 24 KB histories sent through queue/join to the chat's
    own function once held another user's answer from 0.16 s to 36.6 s: the
    chat reads the last HISTORY_WINDOW turns of whatever history comes (here
    750 KB; the timing is bench_serving.py's)."""
    import httpx

    from app_process import free_port
    from emnqa.config import HISTORY_WINDOW
    from emnqa.web.server import build_app, start

    settings = replace(Settings(), port=free_port(), feedback_path=tmp_path / "feedback.jsonl")
    fake = FakeAssistant(settings)
    server = start(build_app(fake, settings), settings, block=False)
    try:
        deps = httpx.get(server.url + "config", timeout=10).json()["dependencies"]
        fn = {d.get("api_name"): i for i, d in reversed(list(enumerate(deps)))}  # the first of each name
        history = [{"role": "user", "content": [{"type": "text", "text": "How many people applied in 2024? " * 20}]},
                   {"role": "assistant", "content": [{"type": "text", "text": "39 615 [1] " * 80}]}] * 450
        assert 700_000 < len(json.dumps(history)) < 1_000_000
        # The page's own chain of events, the history sent as the chatbot's value:
        # the message is saved, the chatbot's value becomes the session's history,
        # then the chat's function answers from the two.
        _event(server.url, fn["_clear_and_save_textbox"], ["And how many were minors?"])
        _event(server.url, fn["lambda"], [history])
        result = _event(server.url, fn["_submit_fn"], [None, None, [], []])
        assert result["success"] is True, result
    finally:
        server.close()
    (question, turns, _), = fake.calls
    assert question == "And how many were minors?" and 0 < len(turns) <= HISTORY_WINDOW


# -- the real app: the real model and index, through HTTP ---------------------------


@pytest.fixture(scope="module")
def real_app(real_index_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("api-app")
    env = {"EMNQA_INDEX": str(real_index_dir), "EMNQA_CORPUS": str(REPO / "corpus"),
           "EMNQA_FEEDBACK_PATH": str(root / "feedback.jsonl")}
    proc, url = start_app([], env, root / "app.log")
    yield url, env
    stop_app(proc)


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_real_api_gives_what_ask_json_prints(real_app):
    url, env = real_app
    question = "How many people applied for asylum in Belgium in 2024?"
    status, answer = _post(url + "api/ask", {"question": question})
    printed = subprocess.run(
        [sys.executable, "-m", "emnqa", "ask", "--json", question], cwd=REPO, env={**os.environ, **env},
        capture_output=True, text=True, timeout=300,
    )
    assert status == 200 and printed.returncode == 0, printed.stderr
    expected = json.loads(printed.stdout)
    for data in (answer, expected):
        data.pop("latency_ms")
    assert answer == expected
    assert "39 615" in answer["answer"] and answer["citations"]
    status, error = _post(url + "api/ask", {"question": "\x00"})
    assert status == 400 and "not text" in error["error"]
    with urllib.request.urlopen(url + "api/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["documents"] == 5
