"""POST /api/timeline, the timeline in /api/ask and /api/search's also_in, and the chat's timeline view."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assistant.test_timeline import FERNDORF, QUESTION
from tests.ui.conftest import fake_assistant
from ui.chat_render import answer_html, sources_html
from ui.server import create_app


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("timeline-api")
    corpus = root / "corpus"
    corpus.mkdir()
    for f in FERNDORF:
        shutil.copy(f, corpus / f.name)
    assistant = fake_assistant(root / "index", corpus=corpus)
    app = create_app(assistant, assistant.settings, with_ui=False)
    return {"client": TestClient(app), "assistant": assistant}


def test_timeline_route_returns_dated_cited_events(env: dict[str, Any]) -> None:
    r = env["client"].post("/api/timeline", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["topic"] == "Neubau der Ferndorftalbrücke" and body["language"] == "de"
    events = body["events"]
    assert len(events) >= 3
    assert {"date", "date_source", "date_phrase", "text", "citation"} <= events[0].keys()
    assert [e["citation"]["n"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["date_source"] in ("article", "sentence") and e["text"] == e["citation"]["text"] for e in events)
    assert "total_ms" in body["timings"]


def test_timeline_route_takes_filters_and_refuses_bad_input(env: dict[str, Any]) -> None:
    c = env["client"]
    r = c.post("/api/timeline", json={"question": QUESTION, "filters": {"date_from": "2022"}})
    assert r.status_code == 200 and all(e["citation"]["date"] >= "2022" for e in r.json()["events"])
    assert c.post("/api/timeline", json={"question": "  "}).status_code == 422
    assert c.post("/api/timeline", json={"question": QUESTION, "top_k": 0}).status_code == 422
    assert c.post("/api/timeline", json={"question": QUESTION, "extra": 1}).status_code == 422


def test_ask_answers_a_timeline_question_with_a_typed_timeline(env: dict[str, Any]) -> None:
    r = env["client"].post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["answerable"] and body["timeline"] and body["trace"]["mode"] == "timeline"
    assert len(body["citations"]) == len(body["timeline"])
    assert body["answer"].startswith("Chronologie aus den Artikeln:\n- ")


def test_ask_stream_sends_the_sources_then_the_timeline(env: dict[str, Any]) -> None:
    with env["client"].stream("POST", "/api/ask", json={"question": QUESTION, "stream": True}) as r:
        text = "".join(r.iter_text())
    events = [block.split("\n", 1)[0] for block in text.split("\n\n") if block.strip()]
    assert events == ["event: sources", "event: final"]  # no draft tokens: nothing is generated
    assert '"timeline":[' in text


def test_the_chat_shows_a_dated_list_linked_to_the_source_cards(env: dict[str, Any]) -> None:
    assistant = env["assistant"]
    answer = assistant.ask(QUESTION)
    bubble = answer_html(answer, 3)
    assert bubble.count("<li ") == len(answer.timeline or []) and '<ol class="timeline">' in bubble
    assert all(f'href="#src-3-{n}"' in bubble for n in range(1, len(answer.timeline or []) + 1))
    assert "<time datetime=" in bubble

    def article(doc_id: str) -> str | None:
        found = assistant.document(doc_id)
        return found[1] if found else None

    cards = sources_html(answer, 3, article)
    assert all(f'id="src-3-{n}"' in cards for n in range(1, len(answer.citations) + 1))


def test_search_results_carry_also_in(tmp_path: Path) -> None:
    from ingest.copies import CopyDetector
    from ingest.pipeline import ingest
    from tests.ingest.test_copies import article, copy_of
    from tests.ingest.test_minhash import ELBTOR

    folder = tmp_path / "a"
    folder.mkdir()
    article(folder, "reuters.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "wk.md", copy_of(ELBTOR, 21), "Weser-Kurier", "2022-05-13")
    assistant = fake_assistant(tmp_path / "index", corpus=None, copies_passage_margin=1.0)
    ingest([folder], assistant.store, assistant.retriever.embedder, copies=CopyDetector())
    client = TestClient(create_app(assistant, assistant.settings, with_ui=False))
    results = client.post("/api/search", json={"query": "Baltrans Elbtor 38,50 Euro je Aktie"}).json()["results"]
    assert {r["source"] for r in results} == {"wk.md"}
    assert results[0]["also_in"][0]["outlet"] == "Reuters"
    only = client.post("/api/search", json={"query": "Baltrans Elbtor", "filters": {"outlet": "Reuters"}}).json()
    assert {r["source"] for r in only["results"]} == {"reuters.md"}


def test_a_source_card_lists_the_other_printings() -> None:
    from assistant.models import AlsoIn, Citation
    from ui.chat_render import source_card

    c = Citation(n=2, doc_id="a", source="a.md", title="T", outlet="dpa", date="2023-02-16", chunk_id="a-0000",
                 text="Satz.", start=0, end=5, score=1.0,
                 also_in=[AlsoIn(doc_id="b", source="b.md", title="Elbtor gehört jetzt den Dänen",
                                 outlet="Hamburger Abendblatt", date="2023-02-16")])
    card = source_card(c, "Satz. Mehr.", 1, [], "de")
    assert '<div class="src-also">auch in: ' in card and "Hamburger Abendblatt (2023-02-16)" in card
    assert "src-also" not in source_card(c.model_copy(update={"also_in": []}), "Satz. Mehr.", 1, [], "en")
