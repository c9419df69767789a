"""Chat start-up: seconds from `python app.py --port N` to the first HTTP
answer, and the server's peak resident memory once it has answered a question.

    .venv/bin/python benchmarks/bench_startup.py [--port 7871] [--repeat 3]

The index must already be built (otherwise start-up includes indexing).
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wait_for(url: str, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "EMNQA_HOST": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False"}
    seconds, memory = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(args.port)], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(f"http://127.0.0.1:{args.port}/", 120)
            seconds.append(time.perf_counter() - started)
            from gradio_client import Client

            client = Client(f"http://127.0.0.1:{args.port}/", verbose=False)
            endpoint = next(iter(client.view_api(return_format="dict", print_info=False)["named_endpoints"]), None)
            memory.append(peak_rss_mb(server.pid))
            print(f"ready after {seconds[-1]:.1f} s; peak RSS {memory[-1]:.0f} MB; first endpoint {endpoint}", flush=True)
        finally:
            server.terminate()
            server.wait(30)
    print()
    print("| chat start-up | median | min | max |")
    print("|---|---|---|---|")
    print(f"| seconds to first HTTP 200 | {statistics.median(seconds):.1f} | {min(seconds):.1f} | {max(seconds):.1f} |")
    print(f"| server peak RSS, MB (after start) | {statistics.median(memory):.0f} | {min(memory):.0f} | {max(memory):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
