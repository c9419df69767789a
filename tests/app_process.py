"""Start `python app.py` as the README's run command does, and stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(args: list[str], env: dict, log: Path, timeout: float = 120):
    """Start app.py, wait until its page answers; return (process, url)."""
    port = free_port()
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), *args, "--port", str(port)],
        env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited early:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    pytest.fail(f"app.py did not answer within {timeout} s:\n{log.read_text()}")


def stop_app(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
