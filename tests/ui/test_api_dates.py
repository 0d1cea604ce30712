"""applied_filters in the JSON API (/api/search, /api/ask, streamed and not) and in /v1/chat/completions,
the request flags derive_dates and reference_date, and their OpenAPI description. In process, fakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import CORPUS
from tests.ui.conftest import fake_assistant
from ui.server import create_app

QUESTION = "Welche Partnerschaft bauten BMW und Toyota 2018 aus?"


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api-dates-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, folder)
    for name in ("a03_streik-hafen.md", "a01_uebernahme-elbtor.md"):
        shutil.copy(CORPUS.parent / "eval" / "corpus" / name, folder)
    index = folder.parent / "api-dates-index"
    fake_assistant(index, corpus=folder)
    return index


@pytest.fixture
def client(dated_index: Path) -> TestClient:
    assistant = fake_assistant(dated_index, corpus=None)
    return TestClient(create_app(assistant, assistant.settings, with_ui=False))


def test_search_reports_the_date_it_took_from_the_query(client: TestClient) -> None:
    r = client.post("/api/search", json={"query": QUESTION, "top_k": 8})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"] and {x["date"][:4] for x in body["results"]} == {"2018"}
    [f] = body["applied_filters"]
    assert {k: f[k] for k in ("kind", "text", "date_from", "date_to", "applied", "status")} == {
        "kind": "date_range", "text": "2018", "date_from": "2018", "date_to": "2018", "applied": True,
        "status": "applied"}
    off = client.post("/api/search", json={"query": QUESTION, "top_k": 8, "derive_dates": False}).json()
    assert off["applied_filters"] == []
    assert any(x["date"] is None for x in off["results"])


def test_explicit_filters_win_and_are_reported(client: TestClient) -> None:
    body = client.post("/api/search", json={"query": QUESTION, "filters": {"date_from": "2022"}}).json()
    assert all(x["date"] >= "2022" for x in body["results"])
    assert [(f["origin"], f["status"], f["applied"]) for f in body["applied_filters"]] == [
        ("request", "applied", True), ("question", "overridden", False)]
    assert body["applied_filters"][0]["note"].endswith("articles without a date are left out")


def test_a_date_without_articles_is_reported_not_silently_empty(client: TestClient) -> None:
    body = client.post("/api/search", json={"query": "Was geschah 2015 bei Nissan?"}).json()
    assert body["results"]
    [f] = body["applied_filters"]
    assert f["status"] == "no_match"
    assert f["note"] == "no article dated 2015 in the archive; searched all dates"


def test_ask_carries_applied_filters_streamed_and_not(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [f["date_from"] for f in answer["applied_filters"]] == ["2018"]
    with client.stream("POST", "/api/ask", json={"question": QUESTION, "stream": True}) as s:
        events = _sse("".join(s.iter_text()))
    final = next(data for name, data in events if name == "final")
    assert final["applied_filters"] == answer["applied_filters"]
    off = client.post("/api/ask", json={"question": QUESTION, "derive_dates": False}).json()
    assert off["applied_filters"] == []


def test_reference_date_moves_relative_words(client: TestClient) -> None:
    body = client.post("/api/search", json={"query": "Wer streikte letztes Jahr?"}).json()
    [f] = body["applied_filters"]
    assert (f["date_from"], f["relative_to"], f["reference"]) == ("2021", "2022-05-12", "newest_article")
    body = client.post("/api/search", json={"query": "Wer streikte letztes Jahr?",
                                            "reference_date": "2019-01-15"}).json()
    [f] = body["applied_filters"]
    assert (f["date_from"], f["relative_to"], f["reference"], f["status"]) == \
        ("2018", "2019-01-15", "request", "applied")
    assert {x["date"][:4] for x in body["results"]} == {"2018"}


@pytest.mark.parametrize(("field", "value"), [("derive_dates", "no"), ("derive_dates", "off"), ("derive_dates", 0),
                                              ("stream", "yes"), ("stream", 1)])
def test_a_flag_is_json_true_or_false(client: TestClient, field: str, value: Any) -> None:
    """Pydantic alone takes "no", "off" and 0 for false: a typo in a client would then pass unnoticed."""
    for path, key in (("/api/search", "query"), ("/api/ask", "question")):
        if field == "stream" and path == "/api/search":
            continue
        r = client.post(path, json={key: QUESTION, field: value})
        assert r.status_code == 422 and field in r.text, (path, value, r.text)


@pytest.mark.parametrize("value", ["2019", "2019-02-30", "15.01.2019", 0, 1547510400, "0"])
def test_a_reference_date_that_is_no_day_is_422(client: TestClient, value: Any) -> None:
    for path, key in (("/api/search", "query"), ("/api/ask", "question")):
        r = client.post(path, json={key: QUESTION, "reference_date": value})
        assert r.status_code == 422, (path, value, r.text)


def test_no_page_of_the_server_loads_scripts_from_a_cdn(client: TestClient) -> None:
    """FastAPI's /docs and /redoc fetch Swagger UI / ReDoc from cdn.jsdelivr.net: off; the schema stays."""
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_openapi_documents_applied_filters_and_the_flags(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "applied_filters" in schemas["Answer"]["properties"]
    assert "applied_filters" in schemas["SearchResponse"]["properties"]
    derived = schemas["DerivedFilter"]["properties"]
    assert {"kind", "text", "start", "end", "date_from", "date_to", "applied", "status", "note", "event",
            "event_date", "relative_to"} <= derived.keys()
    assert "overridden" in derived["status"]["description"]
    for request in ("AskRequest", "SearchRequest"):
        props = schemas[request]["properties"]
        assert props["derive_dates"]["default"] is True
        assert {"type": "string", "format": "date"} in props["reference_date"]["anyOf"]


def test_openai_compatible_response_carries_applied_filters(client: TestClient) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    assert [f["text"] for f in r.json()["applied_filters"]] == ["2018"]
    off = client.post("/v1/chat/completions", json={**body, "derive_dates": False}).json()
    assert off["applied_filters"] == []
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as s:
        chunks = [json.loads(line[6:]) for line in "".join(s.iter_text()).splitlines()
                  if line.startswith("data: {")]
    assert [f["text"] for f in chunks[-1]["applied_filters"]] == ["2018"]


def _sse(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out
