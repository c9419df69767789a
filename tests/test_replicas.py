"""Several app processes behind Debian's nginx (scripts/replicas.py,
deploy/nginx.conf.template), with the real model and index: the API goes
round-robin and answers alike from every process; a chat keeps to its
process (follow-ups work through the front, with or without the cookie);
stopping the script stops every process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app_process import REPO, free_port

NGINX = "/usr/sbin/nginx"
QUESTION = "How many people applied for asylum in Belgium in 2024?"


@pytest.fixture(scope="module")
def front(real_index_dir, tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.fail(f"No nginx at {NGINX}: run `bash scripts/setup.sh --test` (it installs Debian's nginx).")
    root = tmp_path_factory.mktemp("replicas")
    port = free_port()
    while any(_in_use(port + i) for i in (1, 2)):
        port = free_port()
    env = {**os.environ, "EMNQA_INDEX": str(real_index_dir), "EMNQA_CORPUS": str(REPO / "corpus"),
           "EMNQA_FEEDBACK_PATH": str(root / "feedback.jsonl")}
    log = (root / "replicas.log").open("w")
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "replicas.py"), "--processes", "2", "--port", str(port),
                             "--run-dir", str(root / "run")], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 240
    while "behind nginx" not in (root / "replicas.log").read_text():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"replicas.py did not start:\n{(root / 'replicas.log').read_text()}")
        time.sleep(0.5)
    yield url, proc, [port + 1, port + 2]
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _in_use(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ask(url: str, body: dict, headers: dict | None = None) -> tuple[dict, str]:
    request = urllib.request.Request(url + "api/ask", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read()), response.headers["X-Emnqa-Replica"]


def test_the_api_goes_round_robin_and_answers_alike(front):
    url, _, _ = front
    answers = [_ask(url, {"question": QUESTION}) for _ in range(4)]
    assert {served for _, served in answers} == {"a", "b"}
    texts = {json.dumps({k: v for k, v in a.items() if k != "latency_ms"}, sort_keys=True) for a, _ in answers}
    assert len(texts) == 1  # one index, read-only: every process gives the same answer


def test_a_chat_keeps_to_its_process_and_its_follow_ups_work(front):
    from gradio_client import Client

    url, _, _ = front
    for cookie in ("emnqa_replica=a", "emnqa_replica=b", None):
        client = Client(url, headers={"Cookie": cookie} if cookie else None, verbose=False)
        first, _ = client.predict(QUESTION, api_name="/chat")
        follow, _ = client.predict("And in 2023?", api_name="/chat")  # read against the first question
        assert "[1]" in first and "Interpreted as" in follow and "35 507" in follow, (cookie, first, follow)


def test_the_page_sets_the_cookie_that_keeps_a_browser_to_one_process(front):
    url, _, _ = front
    for letter in "ab":
        request = urllib.request.Request(url, headers={"Cookie": f"emnqa_replica={letter}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["X-Emnqa-Replica"] == letter
            assert f"emnqa_replica={letter};" in response.headers["Set-Cookie"]
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": "emnqa_replica=zz"}), timeout=30) as response:
        assert response.headers["X-Emnqa-Replica"] in ("a", "b")  # a cookie naming no process gets a draw


def test_stopping_the_script_stops_every_process(front):
    url, proc, ports = front
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    time.sleep(1)
    assert not any(_in_use(p) for p in [*ports, int(url.rsplit(":", 1)[1].strip("/"))])
