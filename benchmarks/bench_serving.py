"""Serving throughput: N clients for S seconds through the JSON API and
through the chat, with one app process and with two behind nginx
(scripts/replicas.py); and the history attack (another user's answer time
alone, while two clients ask without history, and while they send 24 KB
histories). Prints the figures for
docs/PERFORMANCE.md.

    .venv/bin/python benchmarks/bench_serving.py [--clients 20] [--seconds 60] [--processes 1 2] [--port 7990]

Each client asks the dev set's questions in turn, one at a time, over a
kept-alive connection (httpx):
- API: POST /api/ask.
- chat: Gradio's HTTP API for the chat's own event (POST
  /gradio_api/call/chat, then the event's result stream), which goes through
  the chat's queue as the page does. Client i carries the cookie of process
  i mod N, as browsers from different addresses would (all clients here share
  one address, which nginx would otherwise send to one process).
The per-client API rate limit is lifted and the queue made long enough for
the 20 clients (EMNQA_API_RATE_LIMIT, EMNQA_QUEUE_MAX_SIZE): this measures
capacity, not the limits. The clients run on the same 2-core machine as the
servers, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def start(processes: int, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "EMNQA_API_RATE_LIMIT": "1000000/second", "EMNQA_QUEUE_MAX_SIZE": "256",
           "EMNQA_FEEDBACK_PATH": str(log.parent / "feedback.jsonl")}
    out = log.open("w")
    if processes == 1:
        cmd = [sys.executable, str(REPO / "app.py"), "--port", str(port)]
    else:
        cmd = [sys.executable, str(REPO / "scripts" / "replicas.py"), "--processes", str(processes), "--port", str(port),
               "--run-dir", str(log.parent / f"run-{processes}")]
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                time.sleep(2 if processes == 1 else 5)
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server did not answer within 300 s:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def ask_api(client: httpx.Client, url: str, question: str, history: list | None = None) -> str:
    """"" when answered, else why not (an HTTP status, "no answer")."""
    r = client.post(url + "api/ask", json={"question": question, "history": history or []}, timeout=120)
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    return "" if "answer" in r.json() else "no answer"


def ask_chat(client: httpx.Client, url: str, question: str, history: list | None = None) -> str:
    """"" when answered, else why not (an HTTP status, the event's error, no end)."""
    r = client.post(url + "gradio_api/call/chat", json={"data": [question, history or [], [], []]}, timeout=120)
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    event = r.json()["event_id"]
    with client.stream("GET", url + f"gradio_api/call/chat/{event}", timeout=120) as stream:
        kind = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                return "" if kind == "complete" else "event error"
    return "stream ended"


def load(url: str, target: str, clients: int, seconds: float, processes: int, questions: list[str]) -> dict:
    ask = ask_api if target == "api" else ask_chat
    latencies: list[float] = []
    failures: Counter[str] = Counter()  # why, how many times
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(i: int) -> None:
        letter = string.ascii_lowercase[i % processes]
        with httpx.Client(cookies={"emnqa_replica": letter}, limits=httpx.Limits(max_keepalive_connections=2)) as http:
            ask(http, url, questions[i % len(questions)])  # warm: connection and cookie
            ready.wait()
            n = i
            while time.perf_counter() < deadline[0]:
                n += clients
                started = time.perf_counter()
                try:
                    why = ask(http, url, questions[n % len(questions)])
                except httpx.HTTPError as exc:
                    why = type(exc).__name__
                took = time.perf_counter() - started
                with lock:
                    if why:
                        failures[why] += 1
                    else:
                        latencies.append(took)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    ready.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [float("nan")] * 19
    return {"answers": len(latencies), "per_second": len(latencies) / elapsed, "p50_ms": q[9] * 1000,
            "p95_ms": q[18] * 1000, "failures": sum(failures.values()), "why": dict(failures)}


def page_events(url: str) -> dict[str, int]:
    """The chat page's own events by name (the first of each)."""
    deps = httpx.get(url + "config", timeout=10).json()["dependencies"]
    return {d.get("api_name"): i for i, d in reversed(list(enumerate(deps)))}


def page_ask(http: httpx.Client, url: str, fn: dict[str, int], session: str, question: str, history: list) -> bool:
    """Ask as the page does, through Gradio's generic queue route: the
    message saved, the chatbot's value (the history the client holds) made
    the session's history, then the chat's function."""
    chain = [("_clear_and_save_textbox", [question]), ("lambda", [history]), ("_submit_fn", [None, None, [], []])]
    for name, data in chain:
        body = {"data": data, "fn_index": fn[name], "session_hash": session, "event_data": None}
        if http.post(url + "gradio_api/queue/join", json=body, timeout=120).status_code != 200:
            return False
        with http.stream("GET", url + f"gradio_api/queue/data?session_hash={session}", timeout=120) as stream:
            for line in stream.iter_lines():
                if "process_completed" in line:
                    if '"success":false' in line.replace(" ", ""):
                        return False
                    break
    return True


def history_attack(url: str, seconds: float, questions: list[str]) -> dict:
    """One user's answer times through the chat, alone and while two clients
    send 24 KB histories as fast as they are answered, all through the
    page's own events (the route the attack took)."""
    turn = [{"type": "text", "text": "How many people applied for international protection in Belgium in 2024? " * 4}]
    reply = [{"type": "text", "text": "In 2024, 39 615 individuals applied for international protection in Belgium. [1] " * 4}]
    big: list = []
    while len(json.dumps(big)) < 24_000:
        big += [{"role": "user", "content": turn}, {"role": "assistant", "content": reply}]
    fn = page_events(url)

    def user_times(stop_at: float) -> list[float]:
        times = []
        with httpx.Client() as http:
            n = 0
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                page_ask(http, url, fn, f"user-{n}", questions[n % len(questions)], [])
                times.append(time.perf_counter() - started)
                n += 1
        return times

    def beside(history: list) -> list[float]:
        """The user's times while two other clients ask with `history`."""
        stop_at = time.perf_counter() + seconds

        def other(k: int) -> None:
            with httpx.Client() as http:
                n = 0
                while time.perf_counter() < stop_at:
                    page_ask(http, url, fn, f"other-{k}-{n}-{len(history)}", "And what about that?", history)
                    n += 1

        others = [threading.Thread(target=other, args=(k,)) for k in range(2)]
        for t in others:
            t.start()
        times = user_times(stop_at)
        for t in others:
            t.join()
        return times

    alone = user_times(time.perf_counter() + seconds)
    plain = beside([])  # the same load without the histories: what sharing the machine costs
    attacked = beside(big)
    med = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    return {"history_bytes": len(json.dumps(big)), "alone_p50_ms": med(alone), "plain_p50_ms": med(plain),
            "attacked_p50_ms": med(attacked), "alone_n": len(alone), "plain_n": len(plain), "attacked_n": len(attacked)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--targets", nargs="*", default=["api", "chat"], choices=["api", "chat"])
    parser.add_argument("--attack-seconds", type=float, default=20, help="the history attack's each half (0: skip it)")
    parser.add_argument("--port", type=int, default=7990)
    parser.add_argument("--logs", type=Path, default=Path("/tmp/emnqa-bench-serving"))
    args = parser.parse_args()
    args.logs.mkdir(parents=True, exist_ok=True)
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").read_text().splitlines()]
    url = f"http://127.0.0.1:{args.port}/"
    print(f"{args.clients} clients, {args.seconds:.0f} s each, on {os.cpu_count()} cores")
    print("processes  target  answers  answers/s  p50 ms  p95 ms  failures")
    for processes in args.processes:
        proc = start(processes, args.port, args.logs / f"server-{processes}.log")
        try:
            for target in args.targets:
                r = load(url, target, args.clients, args.seconds, processes, questions)
                print(f"{processes:>9}  {target:>6}  {r['answers']:>7}  {r['per_second']:>9.1f}  {r['p50_ms']:>6.0f}  "
                      f"{r['p95_ms']:>6.0f}  {r['failures']:>8}" + (f"  ({r['why']})" if r["why"] else ""), flush=True)
            if processes == 1 and args.attack_seconds > 0:
                a = history_attack(url, args.attack_seconds, questions)
                print(f"history attack (1 process): another user's chat answer p50 {a['alone_p50_ms']:.0f} ms alone "
                      f"({a['alone_n']} answers), {a['plain_p50_ms']:.0f} ms while 2 clients ask without history "
                      f"({a['plain_n']}), {a['attacked_p50_ms']:.0f} ms while they send "
                      f"{a['history_bytes'] / 1000:.0f} KB histories ({a['attacked_n']})", flush=True)
        finally:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
