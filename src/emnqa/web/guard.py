"""What stands between a client and the server's work: per-client rate
limits (the `limits` package's moving windows, kept in memory: each process
counts its own clients) and the login throttle on the chat's password page.

>>> limit = ClientLimit("2/minute")
>>> [limit.hit("10.0.0.1") for _ in range(3)], limit.hit("10.0.0.2")
([True, True, False], True)
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class ClientLimit:
    """At most `rate` events a client ("10/second", several joined by ";")."""

    def __init__(self, rate: str):
        self.items = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, client: str) -> bool:
        """Count one event; False (and nothing counted) when over the limit."""
        if not self.allows(client):
            return False
        return all([self.limiter.hit(item, client) for item in self.items])

    def allows(self, client: str) -> bool:
        """Whether one more event is within the limit (counts nothing)."""
        return all(self.limiter.test(item, client) for item in self.items)

    def retry_after(self, client: str) -> int:
        """Seconds until the client may try again (at least 1)."""
        now = time.time()
        waits = [self.limiter.get_window_stats(item, client).reset_time - now for item in self.items]
        return max(1, math.ceil(max(waits)))


def client_of(scope) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For there
    when the request came through a trusted front server)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


class LoginThrottle:
    """ASGI middleware: after `rate` failed logins from one client (Gradio's
    POST …/login answering an error), its next tries get 429 without
    reaching the password check (100 wrong passwords used to take 2.2 s)."""

    def __init__(self, app, rate: str = "5/minute"):
        self.app = app
        self.failures = ClientLimit(rate)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope.get("path", "").rstrip("/").endswith("/login"):
            return await self.app(scope, receive, send)
        client = client_of(scope)
        if not self.failures.allows(client):
            wait = self.failures.retry_after(client)
            await respond_json(send, 429, {"detail": f"Too many wrong passwords; try again in {wait} s."},
                               ((b"retry-after", str(wait).encode()),))
            return
        status = 0

        async def watched(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        if status >= 400:
            self.failures.hit(client)


# A JSON string escape of half a UTF-16 pair with no other half: a lone
# surrogate, which no text holds and which broke a chat session for good
# (the reply echoing it could not be encoded).
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
MAX_BODY_BYTES = 1_000_000
# A string the client types (the chat's message box is the page's only text
# input: every other input is a list or a choice) is at most this long at the
# top of an event's "data"; Gradio keeps an event's message in the session's
# state before the chat can refuse it.
MAX_INPUT_CHARS = 4_000


def lone_surrogate(body: bytes) -> bool:
    r"""Whether a JSON body escapes a lone surrogate.

    >>> lone_surrogate(rb'{"data": ["a\ud800b"]}'), lone_surrogate(rb'{"data": ["\ud83d\ude00"]}')
    (True, False)
    """
    return bool(_LONE_SURROGATE.search(body))


class RequestGuard:
    """ASGI middleware bounding what a request may bring, on every route the
    app has (the chat's /chat, Gradio's generic queue/join and run/predict,
    the like handler, the API): a body over `max_bytes` is refused with 413
    as soon as it is known to be, one escaping a lone surrogate with 400, and
    a Gradio event whose typed text is over `max_input_chars` with 413 (a
    refused message is never held: Gradio kept each one in its session's
    state, 1.8 MB a message). A long chat's history (the client sends it with
    every message; 200 exchanges are about 1 MB) fits."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, max_input_chars: int = MAX_INPUT_CHARS):
        self.app = app
        self.max_bytes = max_bytes
        self.max_input_chars = max_input_chars

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await _refuse(send, 413, f"The request is over {self.max_bytes:,} bytes.")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await _refuse(send, 413, f"The request is over {self.max_bytes:,} bytes.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if lone_surrogate(body):
            return await _refuse(send, 400, "The request holds a broken character (a lone surrogate); please type it again.")
        if len(body) > self.max_input_chars and _longest_input(body) > self.max_input_chars:
            return await _refuse(send, 413, f"A message is over {self.max_input_chars:,} characters; please shorten it.")
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def _longest_input(body: bytes) -> int:
    """The longest string at the top of a Gradio event's "data" (0 for any
    other body).

    >>> _longest_input(b'{"data": ["How many?", [{"role": "user", "content": "a long turn"}], []]}')
    9
    """
    if b'"data"' not in body:
        return 0
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return 0  # not an event: the route answers for itself
    return max((len(x) for x in data if isinstance(x, str)), default=0) if isinstance(data, list) else 0


def error_id() -> str:
    """The id an error is logged and shown with."""
    return uuid.uuid4().hex[:12]


async def respond_json(send, status: int, body: dict, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    """Answer an ASGI request with `body` as JSON, without calling the app."""
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]})
    await send({"type": "http.response.body", "body": data})


async def _refuse(send, status: int, message: str) -> None:
    await respond_json(send, status, {"error": message, "id": error_id()})
