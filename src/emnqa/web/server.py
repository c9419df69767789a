"""The web server: the chat page (emnqa.web.chat) and the JSON API
(emnqa.web.api) in one process, served by uvicorn.

    serve(Settings.from_env())    # what `python app.py` and `emnqa serve` run

Around both sit the guards of issue 17: only the configured host names are
answered (DNS rebinding), every response carries a Content-Security-Policy
that lets images, fonts and requests come from the app itself, uploads are
refused unread, no other origin may call the app from a browser (CORS for
its own origin only), and wrong passwords are throttled per client. The
index is read-only here, so several processes can serve one index behind a
front server (deploy/: nginx with sticky sessions for the chat's queue).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

# Before gradio is imported anywhere: otherwise it calls out at launch.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from ..config import Settings  # noqa: E402
from ..errors import EmnqaError  # noqa: E402
from .chat import CSS, EXAMPLES, auth_pair, build_demo  # noqa: E402
from .guard import LoginThrottle, RequestGuard, error_id, respond_json  # noqa: E402

log = logging.getLogger(__name__)
# Sessions whose state Gradio keeps (its default, 10 000, let a client hold
# gigabytes by opening sessions): with requests of at most 1 MB, at most
# about 256 MB; an older session only loses its retry and undo buttons' state.
SESSIONS_KEPT = 256

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        # Gradio's page carries its configuration in inline scripts and styles,
        # and gr.HTML renders its template with `new Function` (so 'unsafe-eval').
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)


class ContentSecurityPolicy:
    """ASGI middleware adding the Content-Security-Policy (and a few other
    safety headers) to every HTTP response."""

    def __init__(self, app, policy: str = CONTENT_SECURITY_POLICY):
        self.app = app
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_policy(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, send_with_policy)


class RefuseUploads:
    """ASGI middleware refusing Gradio's file upload route: the chat takes no
    files, and uploads were stored with no size limit, from any origin, and
    kept across restarts (issue 17). The body is never read."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("path", "").rstrip("/").endswith("/upload"):
            return await respond_json(send, 403, {"error": "This chat takes no files."})
        return await self.app(scope, receive, send)


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
_ALL_INTERFACES = ("0.0.0.0", "::", "")


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host header values the chat answers (starlette's TrustedHostMiddleware).

    >>> allowed_hosts(Settings(host="127.0.0.1"))
    ['127.0.0.1', 'localhost', '::1', '[::1]']
    >>> allowed_hosts(Settings(host="0.0.0.0", allowed_hosts="emnqa.example.be, 10.0.0.5"))
    ['emnqa.example.be', '10.0.0.5']
    >>> allowed_hosts(Settings(host="0.0.0.0"))
    ['*']
    """
    named = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
    if named:
        return named
    if settings.host in _ALL_INTERFACES:
        return ["*"]
    return list(dict.fromkeys([settings.host, *_LOOPBACK]))


class _OneLineTracebacks:
    """Stands in for the `traceback` module inside Gradio's queue and routes,
    which print a whole traceback to stderr for any failing event, a client's
    malformed input included (a like event with a junk index, a message of
    the wrong type): each becomes one log line with an id."""

    def __getattr__(self, name):
        return getattr(traceback, name)

    @staticmethod
    def print_exc(*args, **kwargs) -> None:
        kind, error, _ = sys.exc_info()
        message = " ".join(str(error).split())[:300]
        log.error("error %s in a chat event: %s: %s", error_id(), kind.__name__ if kind else "?", message)


def quiet_gradio_tracebacks() -> None:
    import gradio.queueing
    import gradio.routes

    for module in (gradio.queueing, gradio.routes):
        if getattr(module, "traceback", None) is traceback:
            module.traceback = _OneLineTracebacks()


def build_app(assistant, settings: Settings | None = None):
    """The chat page at / and the JSON API at /api over `assistant`, behind
    the guards; a Starlette app for uvicorn."""
    import gradio as gr
    from fastapi import FastAPI
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from .api import build_api

    settings = settings or assistant.settings
    auth = auth_pair(settings)
    quiet_gradio_tracebacks()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/api", build_api(assistant, settings))
    demo = build_demo(assistant, settings)
    # Gradio keeps each session's state (the chat's history, its last
    # message) in memory; the oldest sessions' go past this many.
    demo.state_session_capacity = SESSIONS_KEPT
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_max_size)
    theme = gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    gr.mount_gradio_app(
        app, demo, path="", server_name=settings.host, server_port=settings.port, auth=auth, show_error=False,
        ssr_mode=False, mcp_server=False, pwa=False, enable_monitoring=False, run_history=False,
        footer_links=["api", "settings"], theme=theme, css=CSS,
    )
    # Added last runs first: the host check, then the policy headers, then
    # the rest. A CORS middleware of the app's own makes Gradio's (which
    # lets any localhost origin in with credentials) stand aside; it allows
    # no other origin, and the page's own requests need none.
    app.add_middleware(LoginThrottle, rate=settings.login_attempts)
    app.add_middleware(RequestGuard)
    app.add_middleware(CORSMiddleware, allow_origins=[], allow_credentials=False)
    app.add_middleware(RefuseUploads)
    app.add_middleware(ContentSecurityPolicy)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    app.state.demo = demo
    return app


@dataclass
class Running:
    """A server started with block=False: its address, and how to stop it."""

    url: str
    server: object
    thread: threading.Thread

    def close(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start(app, settings: Settings, *, block: bool = True) -> Running | None:
    """Serve `app` on settings.host:settings.port with uvicorn; with
    block=False in a thread, returned once it listens."""
    import uvicorn

    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips or None,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if block:
        server.run()
        return None
    thread = threading.Thread(target=server.run, name="emnqa-server", daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        if not thread.is_alive() or time.time() > deadline:
            raise EmnqaError(f"The server could not start on {settings.host}:{settings.port}; is the port in use?")
        time.sleep(0.05)
    return Running(f"http://{settings.host}:{settings.port}/", server, thread)


def serve(settings: Settings, *, say: Callable[[str], None] | None = None, block: bool = True):
    """Build the index when missing or stale (progress on stderr), load the
    assistant and start the chat and the API. Raises EmnqaError for the
    caller to print."""
    from ..assistant import Assistant
    from ..store.build import build

    say = say or (lambda m: print(m, file=sys.stderr, flush=True))
    auth = auth_pair(settings)
    report = build(settings, say=say, wait=600)  # another process building it: wait, then use it
    if not report.up_to_date:
        say(f"Indexed {report.documents} documents into {report.chunks} chunks.")
    say("Loading the assistant…")
    assistant = Assistant(settings)
    # The first question loads the model (several seconds): pay that before
    # the first visitor does.
    assistant.ask(EXAMPLES[0])
    app = build_app(assistant, settings)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        say(f"warning: listening on {settings.host} without a password; set EMNQA_AUTH_USER and EMNQA_AUTH_PASSWORD.")
    if allowed_hosts(settings) == ["*"]:
        say("warning: any host name is answered; set EMNQA_ALLOWED_HOSTS to the names clients use.")
    say(f"The chat is at http://{settings.host}:{settings.port}/ and its API at /api/docs (Ctrl-C stops it).")
    return start(app, settings, block=block)
