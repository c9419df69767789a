"""Load: N concurrent gradio_client users asking the running chat questions
for a bounded time; counts answers, "busy" refusals and errors; p50/p95.

    .venv/bin/python app.py --port 7872 &        # 127.0.0.1 only
    .venv/bin/python benchmarks/load_test.py --url http://127.0.0.1:7872/ [--users 20] [--seconds 60]

Each user has its own Client and asks the evaluation questions in turn
(`/chat`), one at a time. The queue settings (Settings.concurrency_limit,
queue_max_size) decide how many wait; beyond that Gradio refuses with a
"queue is full" message, counted here as busy, not as an error.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from gradio_client import Client

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7872/")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if "127.0.0.1" not in args.url and "localhost" not in args.url:
        raise SystemExit("load_test.py only drives a chat on 127.0.0.1")
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").read_text().splitlines()]
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    examples: dict[str, str] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def user(n: int) -> None:
        try:
            client = Client(args.url, verbose=False)
        except Exception as exc:  # noqa: BLE001 - a load test counts every failure
            with lock:
                outcomes["error (connect)"] += 1
                examples.setdefault("error (connect)", repr(exc)[:200])
            return
        i = n
        while time.perf_counter() < deadline:
            question = questions[i % len(questions)]
            i += args.users
            started = time.perf_counter()
            try:
                answer, _panel = client.predict(question, api_name="/chat")
                kind = "answered" if str(answer).strip() else "error (empty answer)"
            except Exception as exc:  # noqa: BLE001
                text = str(exc).lower()
                kind = "busy" if ("queue" in text and "full" in text) or "busy" in text else "error"
                with lock:
                    examples.setdefault(kind, repr(exc)[:200])
                time.sleep(0.5)  # a refused user waits a little before asking again
            with lock:
                outcomes[kind] += 1
                if kind == "answered":
                    latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(outcomes.values())
    print(f"{args.users} users for {args.seconds:.0f} s against {args.url}: {total} requests")
    for kind, count in outcomes.most_common():
        print(f"  {kind}: {count}" + (f"  e.g. {examples[kind]}" if kind in examples else ""))
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print()
        print("| users | requests | answered | busy | errors | answers/s | p50 ms | p95 ms |")
        print("|---|---|---|---|---|---|---|---|")
        errors = sum(v for k, v in outcomes.items() if k.startswith("error"))
        print(f"| {args.users} | {total} | {outcomes['answered']} | {outcomes['busy']} | {errors} | "
              f"{outcomes['answered'] / args.seconds:.1f} | {statistics.median(ordered):.0f} | {p95:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
