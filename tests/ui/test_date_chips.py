"""The chat's chips for filters taken from the question: rendering, and asking again without them (✕)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.models import DerivedFilter
from tests.conftest import CORPUS
from tests.ui.conftest import fake_assistant
from ui.assets import css, head
from ui.chat_callbacks import ChatCallbacks
from ui.date_chips import chip_html, chips_html, without_removers
from ui.feedback import FeedbackLog

QUESTION = "Welche Partnerschaft bauten BMW und Toyota 2018 aus?"


def derived(**kw: Any) -> DerivedFilter:
    values: dict[str, Any] = {"kind": "date_range", "text": "2018", "start": 0, "end": 4, "date_from": "2018",
                              "date_to": "2018", "applied": True, "status": "applied", **kw}
    return DerivedFilter(**values)


@pytest.mark.parametrize(("kw", "lang", "label"), [
    ({}, "de", "Zeitraum: 2018"),
    ({}, "en", "Period: 2018"),
    ({"date_from": "2018-12", "date_to": "2018-12"}, "de", "Zeitraum: Dezember 2018"),
    ({"date_from": "2018-12", "date_to": "2018-12"}, "en", "Period: December 2018"),
    ({"date_from": "2017", "date_to": "2019"}, "de", "Zeitraum: 2017 – 2019"),
    ({"date_to": None, "date_from": "2019"}, "de", "Zeitraum: ab 2019"),
    ({"date_from": None, "date_to": "2017"}, "en", "Period: up to 2017"),
    ({"kind": "newest_first", "date_from": None, "date_to": None}, "de", "Neueste zuerst"),
    ({"kind": "newest_first", "date_from": None, "date_to": None}, "en", "Newest first"),
])
def test_chip_labels(kw: dict[str, Any], lang: str, label: str) -> None:
    html = chip_html(derived(**kw), lang)
    assert f'<span class="chip-label">{label}</span>' in html
    assert 'href="#drop-dates"' in html and "✕" in html


def test_a_filter_that_was_not_applied_is_muted_with_its_reason_and_no_remover() -> None:
    f = derived(applied=False, status="no_match", date_from="2015", date_to="2015",
                note="no article dated 2015 in the archive; searched all dates")
    html = chip_html(f, "de")
    assert 'class="chip chip-off chip-no_match"' in html and "✕" not in html
    assert "alle Zeiträume durchsucht" in html
    assert 'title="no article dated 2015 in the archive; searched all dates"' in html


def test_the_request_s_own_date_filter_shows_its_note_and_has_no_remover() -> None:
    """The date fields' filter is not taken from the question: asking again without the question's dates keeps it."""
    html = chip_html(derived(origin="request", text="", note="4 articles without a date are left out"), "de")
    assert '<span class="chip-label">Datumsfilter: 2018</span>' in html and "✕" not in html
    assert 'title="4 articles without a date are left out"' in html


def test_relative_words_and_events_say_what_they_were_counted_from() -> None:
    rel = chip_html(derived(text="letztes Jahr", date_from="2024", date_to="2024", relative_to="2025-05-20",
                            reference="newest_article"), "de")
    assert "„letztes Jahr“, gezählt ab 2025-05-20" in rel
    ev = chip_html(derived(text="vor der Insolvenz von GM", date_from=None, date_to="2009-05-31",
                           event="Insolvenz von GM", event_date="2009-06-01"), "en")
    assert "Period: up to 2009-05-31" in ev and "„Insolvenz von GM“ dated 2009-06-01" in ev


def test_user_words_are_escaped() -> None:
    html = chips_html([derived(kind="date_range", applied=False, status="unresolved", date_from=None,
                               date_to=None, text="<b>{x}</b>")], "en")
    assert "<b>" not in html and "&#123;" in html


def test_removers_are_dropped_from_earlier_answers_in_both_content_shapes() -> None:
    chip = chips_html([derived()], "de")
    assert "✕" not in without_removers({"role": "assistant", "content": chip})["content"]
    parts = without_removers({"role": "assistant", "content": [{"type": "text", "text": chip}]})["content"]
    assert "✕" not in parts[0]["text"] and "Zeitraum: 2018" in parts[0]["text"]
    user = {"role": "user", "content": "✕"}
    assert without_removers(user) is user


def test_the_page_gets_the_chip_style_and_script() -> None:
    assert ".chip " in css() and "drop-dates" in head()


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chips-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, folder)
    shutil.copy(CORPUS.parent / "eval" / "corpus" / "a03_streik-hafen.md", folder)
    index = folder.parent / "chips-index"
    fake_assistant(index, corpus=folder)
    return index


def run(steps: Any) -> tuple[Any, ...]:
    return list(steps)[-1]


def test_a_dated_question_shows_a_chip_and_the_remover_asks_again_without_it(
        dated_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = fake_assistant(dated_index, corpus=None)
    calls: list[bool] = []
    ask_stream = assistant.ask_stream

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(kw.get("derive_dates", True))
        return ask_stream(*args, **kw)

    monkeypatch.setattr(assistant, "ask_stream", spy)
    cb = ChatCallbacks(assistant, FeedbackLog(tmp_path / "fb.jsonl"))
    chat, exchanges, *_ = run(cb.respond(QUESTION, [], [], "auto", None, "", ""))
    bot = chat[-1]["content"]
    assert bot.startswith('<div class="chips">')  # above the answer (or the not-in-the-sources note)
    assert "Zeitraum: 2018" in bot and 'href="#drop-dates"' in bot
    assert [f["status"] for f in exchanges[0]["answer"]["applied_filters"]] == ["applied"]

    chat, exchanges, *_ = run(cb.respond_without_dates(chat, exchanges, "auto", None, "", ""))
    assert calls == [True, False]
    assert len(chat) == 2 and len(exchanges) == 1  # the answer is replaced, not added
    assert chat[0]["content"] == QUESTION
    assert 'class="chips"' not in chat[-1]["content"]
    assert exchanges[0]["answer"]["applied_filters"] == []

    chat, exchanges, *_ = run(cb.respond(QUESTION, chat, exchanges, "auto", None, "", ""))
    chat, exchanges, *_ = run(cb.respond("Wer streikte 2018?", chat, exchanges, "auto", None, "", ""))
    assert "✕" not in chat[3]["content"] and "Zeitraum: 2018" in chat[3]["content"]  # an earlier answer
    assert "✕" in chat[-1]["content"]  # the latest one


def test_the_remover_without_an_answer_changes_nothing(dated_index: Path, tmp_path: Path) -> None:
    cb = ChatCallbacks(fake_assistant(dated_index, corpus=None), FeedbackLog(tmp_path / "fb.jsonl"))
    chat, exchanges, *_ = run(cb.respond_without_dates([], [], "auto", None, "", ""))
    assert (chat, exchanges) == ([], [])
