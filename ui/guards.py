"""Access and abuse guards for the HTTP server: API keys, rate limits, body size, request ids."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse, Response

from assistant.settings import Settings

log = logging.getLogger("assistant.http")


def presented_key(request: Request) -> str | None:
    """The API key of a request: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


class Guards:
    """FastAPI dependencies that enforce the API key(s) and a per-client rate limit."""

    def __init__(self, settings: Settings) -> None:
        self.keys = [k.encode() for k in settings.api_keys]
        self.per_minute = settings.rate_limit_per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def key_ok(self, key: str | None) -> bool:
        if not self.keys:
            return True
        given = (key or "").encode()
        ok = False
        for k in self.keys:  # compare with every key, in constant time, whatever matches
            ok |= hmac.compare_digest(given, k)
        return ok

    def require_key(self, request: Request) -> None:
        if not self.key_ok(presented_key(request)):
            raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})

    def rate_limit(self, request: Request) -> None:
        if self.per_minute <= 0:
            return
        key = presented_key(request) or ""
        client = "key:" + uuid.uuid5(uuid.NAMESPACE_OID, key).hex if key else "ip:" + (
            request.client.host if request.client else "?")
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                retry = max(1, math.ceil((1.0 - tokens) / rate))
                raise HTTPException(429, f"rate limit of {self.per_minute} requests per minute reached",
                                    headers={"Retry-After": str(retry)})
            self._buckets[client] = (tokens - 1.0, now)


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Rejects oversized bodies (413), tags every request with an id, and logs one line per request."""

    def __init__(self, app: Callable, max_body_bytes: int) -> None:  # type: ignore[type-arg]
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        rid = "".join(c for c in rid if c.isalnum() or c in "-_")[:64] or uuid.uuid4().hex[:16]
        t0 = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body_bytes and request.url.path.startswith(("/api", "/v1")):
            response: Response = JSONResponse(
                {"detail": f"request body larger than {self.max_body_bytes} bytes"}, status_code=413)
        else:
            response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        log.info("request", extra={"request_id": rid, "method": request.method, "path": request.url.path,
                                   "status": response.status_code,
                                   "ms": round((time.perf_counter() - t0) * 1000, 1)})
        return response
