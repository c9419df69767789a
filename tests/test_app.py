"""The chat the README's run command starts: launched for real, driven over
Gradio's API. (The full web chat and its browser tests come with the chat.)"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chat_url(real_index_dir):
    import urllib.request

    port = free_port()
    env = dict(os.environ, EMNQA_INDEX=str(real_index_dir), EMNQA_CORPUS=str(REPO / "corpus"))
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited early: {proc.stdout.read()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("app.py did not answer within 120 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.model
def test_chat_answers_with_cited_passages(chat_url):
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    answer = client.predict(
        "How many people applied for international protection in Belgium in 2024?", api_name="/chat"
    )
    assert "[1]" in answer and "39 615" in answer
    assert "Asylum and Migration Overview Belgium 2024" in answer


@pytest.mark.model
def test_chat_refuses_an_empty_question_politely(chat_url):
    from gradio_client import Client

    answer = Client(chat_url, verbose=False).predict("   ", api_name="/chat")
    assert "The question is empty" in answer
