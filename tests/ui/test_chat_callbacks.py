"""The chat's callbacks against an assistant over the bundled corpus (hash embedder, scripted LLM)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.service import Assistant
from tests.fakes import ScriptedLLM
from tests.ui.conftest import fake_assistant
from ui.chat_callbacks import ChatCallbacks
from ui.feedback import FeedbackLog

GHOSN = "Wann wurde Carlos Ghosn verhaftet?"


def run(cb: ChatCallbacks, question: str, exchanges: list[dict[str, Any]] | None = None,
        chat: list | None = None,
        language: str = "auto", outlet: list[str] | None = None, date_from: str = "",
        date_to: str = "") -> list[tuple[Any, ...]]:
    return list(cb.respond(question, chat or [], exchanges or [], language, outlet, date_from, date_to))


@pytest.fixture
def cb(newsroom: Assistant, tmp_path: Path) -> ChatCallbacks:
    return ChatCallbacks(newsroom, FeedbackLog(tmp_path / "fb" / "feedback.jsonl"))


def test_a_question_shows_thinking_then_the_sources_then_the_streamed_draft_then_the_verified_answer(
        cb: ChatCallbacks) -> None:
    steps = run(cb, GHOSN)
    chat0, _, panel0, box0, feedback0, status0 = steps[0]
    assert "state-thinking" in chat0[-1]["content"]
    assert "state-thinking" in panel0
    assert box0 == ""
    assert status0 == ""  # the last "thank you" for feedback goes away
    assert feedback0["visible"] is False
    chat1, _, panel1, *_ = steps[1]  # the sources, before the LLM has written a word
    assert "Quellen gefunden" in chat1[-1]["content"] and 'class="draft"' not in chat1[-1]["content"]
    assert 'id="src-1-1"' in panel1 and '<mark class="focus">Ghosn wurde 2018 in Tokio' in panel1
    drafts = [s[0][-1]["content"] for s in steps[2:-1]]
    assert len(drafts) >= 5
    assert all('class="draft"' in d for d in drafts)
    assert "2018" in drafts[-1]
    assert "2018" not in drafts[0]
    chat, exchanges, panel, box, feedback, _ = steps[-1]
    assert chat[0] == {"role": "user", "content": GHOSN}
    final = chat[-1]["content"]
    assert 'class="answer"' in final
    assert "2018" in final
    assert 'href="#src-1-1"' in final
    assert 'id="src-1-1"' in panel
    assert '<mark class="focus">Ghosn wurde 2018 in Tokio' in panel
    assert "000_cf3a5fd77fe47193.txt" in panel
    assert "Reuters" in panel
    assert feedback["visible"] is True
    assert box == ""
    assert exchanges[0]["question"] == GHOSN
    assert exchanges[0]["answer"]["answerable"] is True


def test_a_follow_up_sends_the_conversation_and_links_to_its_own_cards(newsroom: Assistant,
                                                                      cb: ChatCallbacks) -> None:
    chat, exchanges, *_ = run(cb, GHOSN)[-1]
    chat, exchanges, panel, *_ = run(cb, "Und wohin floh er?", exchanges, chat)[-1]
    llm = newsroom.llm
    assert isinstance(llm, ScriptedLLM)
    condense = next(m for m in llm.calls if "Letzte Frage:" in m[-1]["content"])
    assert GHOSN in condense[-1]["content"]
    assert "2018" in condense[-1]["content"]
    assert "Libanon" in chat[-1]["content"]
    assert 'href="#src-2-' in chat[-1]["content"]
    assert len(chat) == 4
    assert len(exchanges) == 2
    assert [t["role"] for t in exchanges[1]["history"]] == ["user", "assistant"]
    assert panel.index('id="src-2-') < panel.index('class="older"') < panel.index('id="src-1-')


def test_a_question_the_sources_do_not_answer_shows_the_not_in_sources_state(cb: ChatCallbacks) -> None:
    chat, exchanges, panel, _, feedback, _ = run(cb, "Wie viel kostet ein Nissan Rogue?")[-1]
    assert "state-not-in-sources" in chat[-1]["content"]
    assert "state-not-in-sources" in panel
    assert exchanges[0]["answer"]["answerable"] is False
    assert feedback["visible"] is True  # a refusal can be rated too


def test_the_language_override_asks_for_an_english_answer(cb: ChatCallbacks) -> None:
    _, exchanges, *_ = run(cb, GHOSN)[-1]
    assert exchanges[0]["answer"]["language"] == "de"  # follows the question by default
    _, exchanges, *_ = run(cb, GHOSN, language="en")[-1]
    assert exchanges[0]["answer"]["language"] == "en"


def test_the_outlet_filter_reaches_retrieval(cb: ChatCallbacks) -> None:
    _, exchanges, *_ = run(cb, GHOSN, outlet=["dpa"])[-1]
    assert exchanges[0]["answer"]["answerable"] is False  # the dpa article does not mention Ghosn
    _, exchanges, *_ = run(cb, GHOSN, outlet=["Reuters"])[-1]
    assert exchanges[0]["answer"]["answerable"] is True


def test_a_bad_date_filter_is_an_error_with_the_question_kept(cb: ChatCallbacks) -> None:
    chat, exchanges, panel, box, *_ = run(cb, GHOSN, date_from="18.06.2018")[-1]
    assert "state-error" in chat[-1]["content"]
    assert "dates are ISO" in panel
    assert box == GHOSN
    assert exchanges == []


def test_a_busy_llm_says_retry_in_a_few_seconds(corpus_index: Path, tmp_path: Path) -> None:
    busy = fake_assistant(corpus_index, corpus=None, llm_max_waiting=0)
    cb = ChatCallbacks(busy, FeedbackLog(tmp_path / "fb.jsonl"))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with busy.admission.slot():
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        chat, exchanges, panel, box, *_ = run(cb, GHOSN)[-1]
    finally:
        release.set()
        t.join()
    assert "state-busy" in chat[-1]["content"]
    assert "erneut senden" in chat[-1]["content"]
    assert box == GHOSN
    assert exchanges == []


def test_an_empty_index_says_how_to_ingest(tmp_path: Path) -> None:
    empty = fake_assistant(tmp_path / "index", corpus=None)
    cb = ChatCallbacks(empty, FeedbackLog(tmp_path / "fb.jsonl"))
    banner, outlets = cb.load()
    assert banner["visible"] is True
    assert "assistant ingest" in banner["value"]
    assert outlets["choices"] == []
    chat, exchanges, panel, box, *_ = run(cb, GHOSN)[-1]
    assert "state-empty-index" in chat[-1]["content"]
    assert "assistant ingest" in panel
    assert box == GHOSN


def test_load_offers_the_outlets_of_the_index_and_no_banner(cb: ChatCallbacks) -> None:
    banner, outlets = cb.load()
    assert banner["visible"] is False
    assert outlets["choices"] == ["Handelsblatt", "Reuters", "dpa"]


def test_a_blank_question_does_nothing(newsroom: Assistant, cb: ChatCallbacks) -> None:
    steps = run(cb, "   ")
    assert len(steps) == 1
    assert steps[0][0] == []
    assert steps[0][1] == []
    assert isinstance(newsroom.llm, ScriptedLLM)
    assert newsroom.llm.calls == []


def test_rating_writes_one_jsonl_line_about_the_latest_answer(cb: ChatCallbacks, tmp_path: Path) -> None:
    chat, exchanges, *_ = run(cb, GHOSN)[-1]
    chat, exchanges, *_ = run(cb, "Und wohin floh er?", exchanges, chat)[-1]
    status, comment = cb.rate("down", exchanges, "  Zu kurz.  ")
    assert "Danke" in status
    assert comment == ""
    lines = (tmp_path / "fb" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert list(rec) == ["ts", "question", "language", "history", "answer", "answerable", "citations",
                         "rating",
                         "comment"]
    assert rec["question"] == "Und wohin floh er?"
    assert rec["rating"] == "down"
    assert rec["comment"] == "Zu kurz."
    assert rec["history"][0] == {"role": "user", "content": GHOSN}
    assert "Libanon" in rec["answer"]
    assert rec["answerable"] is True
    assert rec["citations"][0]["source"] == "000_cf3a5fd77fe47193.txt"
    assert "Libanon" in rec["citations"][0]["text"]


def test_rating_without_an_answer_writes_nothing(cb: ChatCallbacks, tmp_path: Path) -> None:
    status, comment = cb.rate("up", [], "gut")
    assert comment == "gut"
    assert "no answer" in status
    assert not (tmp_path / "fb" / "feedback.jsonl").exists()


def test_reset_clears_everything() -> None:
    chat, exchanges, sources, box, feedback_row, status = ChatCallbacks.reset()
    assert (chat, exchanges, sources, box, status) == ([], [], "", "", "")
    assert feedback_row["visible"] is False
