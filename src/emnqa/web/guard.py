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
import time

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
            body = json.dumps({"detail": f"Too many wrong passwords; try again in {wait} s."}).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
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
