"""Logs: one JSON object per line, every record made while serving a request carries its request id, and no
API key ever reaches a log line, however it was sent."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.live import ThreadServer
from tests.reliability.conftest import KEY, OTHER_KEY, QUESTION, Built, SlowLLM
from ui.logs import JsonFormatter, redact, register_secrets, setup_logging


class Captured:
    """The text written by the root handler, as setup_logging installs it."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """setup_logging(json) writing to a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    setup_logging("DEBUG", json_lines=True)
    yield Captured(stream)
    root.handlers[:] = handlers
    root.setLevel(level)


class LoggingLLM(SlowLLM):
    """A fake LLM that logs while it generates, like the real backends do (timeouts, warnings)."""

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float, temperature: float = 0.0
    ) -> Iterator[str]:
        logging.getLogger("assistant.llm").info("generating")
        yield from super().stream(messages, max_tokens, timeout_s, temperature)


def test_every_line_is_json_and_request_lines_carry_the_request_id(
    make_app: Callable[..., Built], captured: Captured
) -> None:
    client = TestClient(make_app(LoggingLLM(delay_s=0)).app)
    r = client.post("/api/ask", json={"question": QUESTION}, headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc-123"
    r2 = client.post("/api/search", json={"query": "Nissan"})
    generated = r2.headers["x-request-id"]
    assert len(generated) >= 16 and generated != "abc-123"
    records = captured.records()  # json.loads of every line: fails on anything that is not JSON
    requests = [rec for rec in records if rec["msg"] == "request"]
    assert [(rec["path"], rec["status"], rec["request_id"]) for rec in requests] == [
        ("/api/ask", 200, "abc-123"),
        ("/api/search", 200, generated),
    ]
    assert all({"ts", "level", "logger", "method", "ms"} <= rec.keys() for rec in requests)
    # a record made deep inside the service, in a worker thread, still knows its request
    inner = [rec for rec in records if rec["msg"] == "generating"]
    assert inner and all(rec["request_id"] == "abc-123" for rec in inner)


@pytest.mark.parametrize("rid", ["a b\nFAKE LOG LINE", "x" * 500, "<script>", ""])
def test_hostile_request_ids_are_sanitised(
    make_app: Callable[..., Built], captured: Captured, rid: str
) -> None:
    r = TestClient(make_app().app).get("/api/health", headers={"X-Request-ID": rid.replace("\n", " ")})
    echoed = r.headers["x-request-id"]
    assert 1 <= len(echoed) <= 64 and all(c.isalnum() or c in "-_." for c in echoed)
    assert len(captured.text.splitlines()) == len(captured.records())


def test_api_keys_never_reach_the_log(make_app: Callable[..., Built], captured: Captured) -> None:
    built = make_app(
        LoggingLLM(delay_s=0), with_ui=True, api_key=f"{KEY},{OTHER_KEY}", rate_limit_per_minute=3
    )
    client = TestClient(built.app)
    client.get("/api/documents", headers={"Authorization": f"Bearer {KEY}"})
    client.post("/api/ask", json={"question": QUESTION}, headers={"X-API-Key": OTHER_KEY})
    client.get("/api/documents", headers={"X-API-Key": KEY[:-2]})  # near miss: 401
    client.get(f"/?key={KEY}")  # the UI login link
    client.get("/config", cookies={"assistant_key": OTHER_KEY})
    for _ in range(4):  # into the rate limit: 429 lines too
        client.get("/api/documents", headers={"X-API-Key": KEY})
    client.post("/api/search", json={"query": f"mein Schlüssel ist {KEY}"}, headers={"X-API-Key": OTHER_KEY})
    logging.getLogger("assistant").warning("debug dump %s", {"headers": {"authorization": f"Bearer {KEY}"}})
    text = captured.text
    assert len(captured.records()) >= 10
    assert KEY not in text and OTHER_KEY not in text and KEY[:-2] not in text


@pytest.mark.parametrize(
    ("message", "leak"),
    [
        ("Authorization: Bearer s3cr3t-token", "s3cr3t-token"),
        ("api_key=abcdef123", "abcdef123"),
        ('{"X-API-Key": "k-998877"}', "k-998877"),
        ("GET /?key=qwertz99&lang=de", "qwertz99"),
        ("cookie assistant_key=zzz777", "zzz777"),
    ],
)
def test_formatter_masks_credentials_by_shape(message: str, leak: str) -> None:
    assert leak not in redact(message) and "***" in redact(message)


def test_formatter_masks_registered_keys_in_message_extras_and_tracebacks() -> None:
    register_secrets(["registered-key-31337"])
    try:
        raise RuntimeError("failed with registered-key-31337")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "key %s", ("registered-key-31337",), exc_info=sys.exc_info()
        )
    record.client = {"token": "registered-key-31337"}
    line = JsonFormatter().format(record)
    assert "registered-key-31337" not in line
    assert json.loads(line)["client"]


@pytest.mark.integration
def test_real_server_logs_hold_no_keys_and_no_access_log_query_strings(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer], captured: Captured
) -> None:
    """uvicorn's own access log would print '?key=...': the JSON request line replaces it."""
    built = make_app(with_ui=True, api_key=KEY)
    with serve(built.app) as server, httpx.Client(timeout=30) as client:
        client.get(f"{server.url}/?key={KEY}")
        client.get(f"{server.url}/api/documents", headers={"Authorization": f"Bearer {KEY}"})
        client.get(f"{server.url}/api/documents?key={KEY}")
    text = captured.text
    assert KEY not in text
    paths = [rec["path"] for rec in captured.records() if rec["msg"] == "request"]
    assert "/api/documents" in paths
