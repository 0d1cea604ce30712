"""Structured (JSON lines) logging for the server and the command line; secrets never reach a record."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

# Record attributes that are not "extra" fields (uvicorn adds color_message: the message with ANSI colours).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}
# Credentials as they appear in text: "Bearer X", "api_key=X", "X-API-Key: X", "?key=X", "assistant_key=X".
_SECRET = re.compile(
    r"(?i)(bearer\s+|api[_-]?key[\"']?\s*[=:]\s*[\"']?|x-api-key[\"']?\s*[=:]\s*[\"']?|[?&]key=|assistant_key=)"
    r"[^\s\"',;&]+"
)
_MASK = "***"

# The id of the HTTP request being handled (set by ui.middleware.RequestContextMiddleware); added to every record.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secrets(values: Iterable[str]) -> None:
    """Values (API keys) that must never appear in a log line, wherever they turn up."""
    with _secrets_lock:
        _secrets.update(v for v in values if len(v) >= 4)


def redact(text: str) -> str:
    """``text`` with credentials and every registered secret replaced by ``***``."""
    text = _SECRET.sub(lambda m: m.group(1) + _MASK, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(json.dumps(value, ensure_ascii=False, default=str))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid = request_id_var.get()
        if rid:
            data["request_id"] = rid
        data.update(
            {k: _clean(v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        )
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Route every logger to stderr: JSON lines for the server, short text lines for the command line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else _RedactingFormatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would repeat each request as unstructured text (with its query string, where a
    # ?key= may sit): the request line written by RequestContextMiddleware replaces it.
    for noisy in ("httpx", "chromadb", "urllib3", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
