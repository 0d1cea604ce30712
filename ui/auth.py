"""Who may use the server and how much: API keys (header, or a cookie for the UI), per-client rate limits."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings
from ui.logs import register_secrets
from ui.routes import ASK_ROUTES, UPLOAD_ROUTES, is_api

KEY_COOKIE = "assistant_key"
_MAX_BUCKETS = 10_000


def presented_key(request: Request) -> str | None:
    """The API key of a request: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class Guards:
    """FastAPI dependencies that enforce the API key(s) and a per-client rate limit priced by cost.

    Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every configured key, so the
    time taken depends neither on where a guess differs nor on its length nor on which key matched. Failed
    key checks count against the caller's address, so keys cannot be guessed at full speed.

    Each client has a bucket of ``rate_limit_per_minute`` cost units that refills continuously. A search, a
    read or a job poll costs 1 (~30 ms of CPU), an ask ``rate_cost_ask`` (it holds the LLM for seconds), an
    upload ``rate_cost_upload`` (it holds the embedder). A refused request gets 429 with the seconds after
    which its price is available again in ``Retry-After``: a client that waits that long is served.
    """

    def __init__(self, settings: Settings) -> None:
        self.keys = [_digest(k) for k in settings.server.api_keys]
        register_secrets(settings.server.api_keys)
        self.per_minute = settings.server.rate_limit_per_minute
        self.ask_cost = settings.server.rate_cost_ask
        self.upload_cost = settings.server.rate_cost_upload
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def price(self, request: Request) -> int:
        """Cost units of a request, by route (a bucket never holds more than a minute's worth)."""
        route = (request.method, request.url.path)
        cost = self.ask_cost if route in ASK_ROUTES else self.upload_cost if route in UPLOAD_ROUTES else 1
        return max(1, min(cost, self.per_minute))

    def key_ok(self, key: str | None) -> bool:
        if not self.keys:
            return True
        given = _digest(key or "")
        ok = False
        for k in self.keys:  # compare with every key, whatever matches
            ok |= hmac.compare_digest(given, k)
        return ok and bool(key)

    def require_key(self, request: Request) -> None:
        if not self.key_ok(presented_key(request)):
            # every failed guess costs a token of the caller's address: 429 once they are used up
            self._take(_address(request))
            raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})

    def rate_limit(self, request: Request) -> None:
        """Take the request's price from a bucket per valid key (with keys configured) or per client address."""
        key = presented_key(request)
        if self.keys and key and self.key_ok(key):
            client = "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
        else:  # without configured keys any string is "valid": never let a made-up key open a fresh bucket
            client = _address(request)
        self._take(client, self.price(request))

    def _take(self, client: str, cost: int = 1) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > _MAX_BUCKETS:
                self._prune(now, rate)
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < cost:
                self._buckets[client] = (tokens, now)
                retry = max(1, math.ceil((cost - tokens) / rate))
                raise HTTPException(
                    429,
                    f"rate limit of {self.per_minute} cost units per minute reached (this request costs {cost}; a "
                    f"search costs 1, an ask {self.ask_cost}, an upload {self.upload_cost}): retry after {retry} s",
                    headers={"Retry-After": str(retry)},
                )
            self._buckets[client] = (tokens - cost, now)

    def _prune(self, now: float, rate: float) -> None:
        """Forget buckets that have refilled completely (they hold no information)."""
        full = [
            c
            for c, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * rate >= self.per_minute
        ]
        for c in full:
            del self._buckets[c]


def _address(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "?")


class KeyCookieLogin:
    """``/?key=KEY`` on a UI page stores the key in an HttpOnly cookie and redirects to the same page without the
    key (the chat UI's later requests carry the cookie). Pure ASGI; every other request passes through."""

    def __init__(self, app: ASGIApp, guards: Guards) -> None:
        self.app = app
        self.guards = guards

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        login = self._cookie_login(scope) if scope["type"] == "http" else None
        if login is None:
            await self.app(scope, receive, send)
            return
        await send(login[0])
        await send(login[1])

    def _cookie_login(self, scope: Scope) -> tuple[Message, Message] | None:
        """``GET /page?key=KEY`` on the UI: set the key cookie, redirect to ``/page`` (key out of the URL)."""
        if not self.guards.keys or scope.get("method") != "GET" or is_api(scope["path"]):
            return None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        key = next((v for k, v in query if k == "key"), None)
        if key is None or not self.guards.key_ok(key):
            return None
        rest = urlencode([(k, v) for k, v in query if k != "key"])
        root = scope.get("root_path", "")
        location = root + scope["path"] + (f"?{rest}" if rest else "")
        cookie: SimpleCookie = SimpleCookie()
        cookie[KEY_COOKIE] = key
        morsel = cookie[KEY_COOKIE]
        morsel["httponly"] = True
        morsel["samesite"] = "Strict"
        morsel["path"] = root or "/"
        if scope.get("scheme") == "https":
            morsel["secure"] = True
        headers = [
            (b"location", location.encode("latin-1", "replace")),
            (b"set-cookie", morsel.OutputString().encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        ]
        return (
            {"type": "http.response.start", "status": 303, "headers": headers},
            {"type": "http.response.body", "body": b""},
        )
