"""Serve emnqa from several processes behind nginx.

    .venv/bin/python scripts/replicas.py [--processes 2] [--host 127.0.0.1] [--port 7860]

The index is read-only while serving, so the app scales out by running more
processes over one index. This builds the index once (so the processes do
not race to build it), starts N `app.py` processes on the ports after
--port (127.0.0.1 only), writes deploy/nginx.conf.template filled in to a run
folder and starts Debian's nginx on --host:--port in front of them: the API
round-robin, each chat browser kept to one process by a cookie (the chat's
queue and its answer records live in the process). Stops everything on
Ctrl-C or SIGTERM; if any process dies, stops the rest and exits 1.

The apps trust nginx's X-Forwarded-For (EMNQA_FORWARDED_ALLOW_IPS), so rate
limits and the login throttle count clients, each process its own: with N
processes a client may get N times EMNQA_API_RATE_LIMIT. Ratings from all
processes go to the one feedback file (appends are locked). Other EMNQA_*
settings pass through to every process. Needs nginx (`apt-get install
nginx`; `bash scripts/setup.sh --test` installs it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "deploy" / "nginx.conf.template"


def nginx_conf(listen: str, ports: list[int], run: Path) -> str:
    """deploy/nginx.conf.template for these app ports, replica letters a, b, ..."""
    letters = string.ascii_lowercase[: len(ports)]
    share = f"{100 / len(ports):.2f}".rstrip("0").rstrip(".")
    fields = {
        "RUN": str(run),
        "LISTEN": listen,
        "API_SERVERS": "\n".join(f"        server 127.0.0.1:{p};" for p in ports),
        "CHAT_UPSTREAMS": "\n".join(
            f"    upstream chat_{c} {{\n        server 127.0.0.1:{p};\n        keepalive 16;\n    }}" for c, p in zip(letters, ports)
        ),
        "SPLIT": "\n".join(f"        {share}% chat_{c};" for c in letters[:-1]) + f"\n        * chat_{letters[-1]};",
        "COOKIE_MAP": "\n".join(f"        {c} chat_{c};" for c in letters),
        "LETTER_MAP": "\n".join(f"        chat_{c} {c};" for c in letters),
        "SERVED_BY": "\n".join(f'        "127.0.0.1:{p}" {c};' for c, p in zip(letters, ports)),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in fields.items():
        text = text.replace(f"@@{name}@@", value)
    return text


def wait_until_up(url: str, processes: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"replicas: a process exited before {url} answered; see its log above")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (a password page answers 401)
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"replicas: {url} did not answer within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--host", default=os.environ.get("EMNQA_HOST", "127.0.0.1"), help="address nginx listens on")
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMNQA_PORT", "7860")),
                        help="port nginx listens on; the apps take the next ones")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--run-dir", type=Path, help="where nginx's configuration and logs go (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for each process to answer")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error(f"--processes must be at least 1. Currently it is {args.processes}.")
    if not Path(args.nginx).exists():
        print(f"replicas: no nginx at {args.nginx}; install it with `apt-get install nginx` "
              "(bash scripts/setup.sh --test does) or pass --nginx.", file=sys.stderr)
        return 1

    sys.path.insert(0, str(REPO / "src"))
    from emnqa.config import Settings
    from emnqa.errors import EmnqaError
    from emnqa.store.build import build

    say = lambda m: print(f"replicas: {m}", file=sys.stderr, flush=True)  # noqa: E731
    try:
        build(Settings.from_env(), say=say)  # once, before the processes share it
    except EmnqaError as exc:
        say(str(exc))
        return 1

    run = args.run_dir or Path(tempfile.mkdtemp(prefix="emnqa-replicas-"))
    run.mkdir(parents=True, exist_ok=True)
    ports = [args.port + i for i in range(1, args.processes + 1)]
    names = {args.host, "127.0.0.1", "localhost", *filter(None, os.environ.get("EMNQA_ALLOWED_HOSTS", "").split(","))}
    env = {**os.environ, "EMNQA_HOST": "127.0.0.1", "EMNQA_ALLOWED_HOSTS": ",".join(sorted(names - {"0.0.0.0"})) or "*",
           "EMNQA_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    apps = [subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(p)], env=env) for p in ports]
    front = None

    def stop(*_):
        for p in ([front] if front else []) + apps:
            if p.poll() is None:
                p.terminate()
        for p in ([front] if front else []) + apps:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/api/health", apps, args.timeout)
        (run / "nginx.conf").write_text(nginx_conf(f"{args.host}:{args.port}", ports, run), encoding="utf-8")
        front = subprocess.Popen([args.nginx, "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon off;"])
        wait_until_up(f"http://127.0.0.1:{args.port}/api/health" if args.host in ("0.0.0.0", "127.0.0.1")
                      else f"http://{args.host}:{args.port}/api/health", [front, *apps], 30)
        say(f"{args.processes} processes (ports {', '.join(map(str, ports))}) behind nginx at "
            f"http://{args.host}:{args.port}/ (Ctrl-C stops them)")
        while all(p.poll() is None for p in [front, *apps]):
            time.sleep(0.5)
        say("a process exited; stopping the others")
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
