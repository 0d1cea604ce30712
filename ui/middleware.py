"""Around every HTTP request: a request id, the body size limit (413), and one JSON log line."""

from __future__ import annotations

import json
import logging
import time
import uuid

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.logs import request_id_var
from ui.openai_compat import openai_error_body
from ui.routes import UPLOAD_ROUTES, is_api

log = logging.getLogger("assistant.http")

# The chat UI's own requests (Gradio sends the whole conversation back) may be larger than API bodies.
UI_BODY_FACTOR = 16


class RequestContextMiddleware:
    """Tags every request with an id, rejects oversized bodies (413), logs one JSON line per request.

    Pure ASGI (no BaseHTTPMiddleware): streamed answers and client disconnects pass through untouched.
    The body limit counts the bytes actually received, so a chunked upload without Content-Length is
    bounded too.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, upload_body_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_body_bytes = upload_body_bytes or max_body_bytes

    def _limit(self, method: str, path: str) -> int:
        if (method, path) in UPLOAD_ROUTES:
            return self.upload_body_bytes
        return self.max_body_bytes if is_api(path) else self.max_body_bytes * UI_BODY_FACTOR

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = request_id_var.set(rid)
        path: str = scope.get("path", "")
        limit = self._limit(scope.get("method", ""), path)
        t0 = time.perf_counter()
        status = 0
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await _json(send_with_id, 413, f"request body larger than {limit} bytes", path)
                return
            await self.app(scope, _bounded(receive, limit), send_with_id)
        except _BodyTooLarge:
            if not started:
                await _json(send_with_id, 413, f"request body larger than {limit} bytes", path)
        except Exception:
            log.exception("unhandled error", extra={"method": scope.get("method"), "path": path})
            raise
        finally:
            level = logging.WARNING if status >= 500 or status == 0 else logging.INFO
            log.log(
                level,
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": status or None,
                    "ms": round((time.perf_counter() - t0) * 1000, 1),
                    "client": (scope.get("client") or ("?",))[0],
                },
            )
            request_id_var.reset(token)


class _BodyTooLarge(HTTPException):
    """The request body grew past the limit while it was being received (FastAPI turns it into a 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


def _bounded(receive: Receive, limit: int) -> Receive:
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge(limit)
        return message

    return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return str(v.decode("latin-1")).strip()
    return None


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id") or ""
    clean = "".join(c for c in given if c.isalnum() or c in "-_.")[:64]
    return clean or uuid.uuid4().hex[:16]


async def _json(send: Send, status: int, detail: str, path: str = "") -> None:
    """A JSON error sent before the app saw the request; in OpenAI's shape on ``/v1`` routes."""
    body = json.dumps(openai_error_body(status, detail) if path.startswith("/v1/") else {"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
