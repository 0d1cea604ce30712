"""Dates from the question in search and ask, with the hash embedder and a scripted LLM over the bundled
corpus (one dated article: 004, 2018-06) plus dated articles of eval/corpus (2018 to 2023)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.models import Filters
from assistant.service import Assistant
from tests.conftest import CORPUS
from tests.fakes import source_texts
from tests.ui.conftest import fake_assistant

EVAL_CORPUS = CORPUS.parent / "eval" / "corpus"
DATED = ["a01_uebernahme-elbtor.md", "a03_streik-hafen.md", "a05_eu-auflagen-elbtor.md", "a09_abschluss-elbtor.md",
         "b01_hanseatia_neuer_trainer.md", "b03_hanseatia_trennung_thielen.md"]
BMW_2018 = "Welche Partnerschaft bauten BMW und Toyota 2018 aus?"


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dated-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, folder)
    for name in DATED:
        shutil.copy(EVAL_CORPUS / name, folder)
    index = folder.parent / "dated-index"
    fake_assistant(index, corpus=folder)
    return index


@pytest.fixture
def archive(dated_index: Path) -> Assistant:
    return fake_assistant(dated_index, corpus=None)


def test_a_year_in_the_question_restricts_search_to_that_year(archive: Assistant) -> None:
    found = archive.search_with_dates(BMW_2018, top_k=10)
    assert found.passages and {p.date[:4] for p in found.passages if p.date} == {"2018"}
    assert all(p.date for p in found.passages)  # undated articles are left out, like with an explicit filter
    [f] = found.applied_filters
    assert (f.kind, f.text, f.date_from, f.date_to, f.applied, f.status) == \
        ("date_range", "2018", "2018", "2018", True, "applied")
    assert BMW_2018[f.start:f.end] == "2018"
    assert f.note == "4 articles without a date are left out"  # corpus/000-003
    unfiltered = archive.search(BMW_2018, top_k=10)
    assert any(p.date is None for p in unfiltered)


def test_retrieval_searches_without_the_date_words(archive: Assistant) -> None:
    plan = archive.dates.plan("Wer streikte im Juni 2018 in den Häfen?", "de", None)
    assert plan.query == "Wer streikte im in den Häfen?"
    assert plan.filters == Filters(date_from="2018-06", date_to="2018-06")


def test_the_request_s_own_dates_win(archive: Assistant) -> None:
    found = archive.search_with_dates(BMW_2018, top_k=10, filters=Filters(date_from="2022"))
    assert found.passages and all(p.date and p.date >= "2022" for p in found.passages)
    [f] = [f for f in found.applied_filters if f.origin == "question"]
    assert (f.applied, f.status) == (False, "overridden")
    assert "request's date filter (from 2022)" in (f.note or "")


@pytest.mark.parametrize("derive", [True, False])
def test_the_request_s_own_dates_say_that_undated_articles_are_left_out(archive: Assistant, derive: bool) -> None:
    """An explicit date filter leaves out the undated articles as a derived one does, and says so the same way:
    a record of the request's dates (``origin`` "request") with the note; words of the question are reported
    beside it (here: overridden by it)."""
    for found in (archive.search_with_dates(BMW_2018, top_k=10, filters=Filters(date_from="2018", outlet="dpa"),
                                            derive_dates=derive),
                  archive.ask("Was bauten BMW und Toyota aus?", filters=Filters(date_from="2018", date_to="2018"),
                              derive_dates=derive)):
        request = [f for f in found.applied_filters if f.origin == "request"]
        assert [(f.kind, f.applied, f.status, f.note) for f in request] == [
            ("date_range", True, "applied", "4 articles without a date are left out")]  # corpus/000-003
        assert (request[0].date_from, request[0].text) == ("2018", "")
    assert [f.status for f in archive.search_with_dates(BMW_2018, filters=Filters(date_from="2022")).applied_filters
            if f.origin == "question"] == ["overridden"]
    assert archive.search_with_dates("Wer baute was aus?", filters=Filters(outlet="dpa")).applied_filters == []


def test_derived_dates_join_the_request_s_other_filters(archive: Assistant) -> None:
    found = archive.search_with_dates("Wer streikte 2018?", top_k=10, filters=Filters(outlet="dpa"))
    assert found.passages and {(p.outlet, p.date[:4]) for p in found.passages if p.date} == {("dpa", "2018")}
    found = archive.search_with_dates("Wer streikte 2018?", top_k=10, filters=Filters(outlet="kicker"))
    [f] = found.applied_filters
    assert f.status == "no_match" and "matches the other filters" in (f.note or "")


def test_a_period_without_articles_is_reported_and_all_dates_are_searched(archive: Assistant) -> None:
    found = archive.search_with_dates("Was geschah 2015 bei Nissan?", top_k=5)
    [f] = found.applied_filters
    assert (f.applied, f.status) == (False, "no_match")
    assert f.note == "no article dated 2015 in the archive; searched all dates"
    assert found.passages  # not silently nothing
    answer = archive.ask("Was geschah 2015 bei Nissan?")
    assert answer.applied_filters == found.applied_filters


def test_ask_answers_from_the_period_only(dated_index: Path) -> None:
    seen: list[dict[int, str]] = []

    def reply(messages: list[dict[str, str]]) -> str:
        seen.append(source_texts(messages))
        return "Dazu enthalten die Quellen keine Informationen."

    assistant = fake_assistant(dated_index, reply=reply, corpus=None)
    answer = assistant.ask(BMW_2018)
    assert answer.trace is not None and answer.trace.evidence
    assert {c.date for c in answer.trace.evidence} == {"2018-06"}
    assert [f.status for f in answer.applied_filters] == ["applied"]
    again = assistant.ask(BMW_2018, derive_dates=False)
    assert again.applied_filters == []


def test_nothing_relevant_in_the_period_means_all_dates_and_a_note(dated_index: Path) -> None:
    # the hash embedder scores the Hanseatia question low against every 2018 passage, high against b01/b03
    assistant = fake_assistant(dated_index, corpus=None, min_relevance=0.3, min_relevance_cross=0.3)
    question = "Wer wurde im Juni 2018 neuer Trainer von Hanseatia Lübeck?"
    answer = assistant.ask(question)
    [f] = answer.applied_filters
    assert (f.applied, f.status, f.date_from) == (False, "no_match", "2018-06")
    assert f.note == "nothing relevant dated 2018-06; searched all dates"
    assert answer.trace is not None and {c.source for c in answer.trace.evidence} & {
        "b01_hanseatia_neuer_trainer.md", "b03_hanseatia_trennung_thielen.md"}


def test_relative_words_count_from_the_newest_article_or_the_reference_date(archive: Assistant) -> None:
    found = archive.search_with_dates("Wer trainierte Hanseatia letztes Jahr?", top_k=5)
    [f] = found.applied_filters
    assert (f.date_from, f.relative_to, f.reference) == ("2022", "2023-02-16", "newest_article")  # a09 is newest
    assert {(p.date or "")[:4] for p in found.passages} == {"2022"}  # an undated passage fails this too
    found = archive.search_with_dates("Wer trainierte Hanseatia letztes Jahr?", top_k=5,
                                      reference_date=date(2019, 3, 1))
    [f] = found.applied_filters
    assert (f.date_from, f.relative_to, f.reference, f.status) == ("2018", "2019-03-01", "request", "applied")


def test_relative_words_without_any_dated_article_filter_nothing(tmp_path: Path) -> None:
    assistant = fake_assistant(tmp_path / "index")  # the bundled corpus: 004 has a date
    assert assistant.dates.newest() == date(2018, 6, 30)
    undated = tmp_path / "undated"
    undated.mkdir()
    shutil.copy(CORPUS / "000_cf3a5fd77fe47193.txt", undated)
    bare = fake_assistant(tmp_path / "bare", corpus=undated)
    found = bare.search_with_dates("Was sagte Nissan letztes Jahr?", top_k=3)
    [f] = found.applied_filters
    assert (f.applied, f.status) == (False, "unresolved") and "reference_date" in (f.note or "")
    assert found.passages


def test_an_event_is_dated_by_the_earliest_article_that_mentions_it(archive: Assistant) -> None:
    found = archive.search_with_dates("Wie reagierte Elbtor seit der Übernahme von Elbtor?", top_k=10)
    [f] = found.applied_filters
    assert (f.event, f.event_date, f.event_source) == ("Übernahme von Elbtor", "2022-05-12",
                                                     "a01_uebernahme-elbtor.md")
    assert (f.date_from, f.date_to, f.status) == ("2022-05-12", None, "applied")
    assert "dated 2022-05-12 by the earliest dated article that mentions it" in (f.note or "")
    assert found.passages and all(p.date and p.date >= "2022-05-12" for p in found.passages)
    before = archive.search_with_dates("Was geschah vor der Übernahme von Elbtor?", top_k=10)
    [f] = before.applied_filters
    assert (f.date_from, f.date_to) == (None, "2022-05-11")


def test_an_event_the_archive_cannot_date_filters_nothing(archive: Assistant) -> None:
    found = archive.search_with_dates("Was geschah vor der Insolvenz von GM?", top_k=5)
    [f] = found.applied_filters
    assert (f.applied, f.status, f.event) == (False, "unresolved", "Insolvenz von GM")
    assert f.note == "no dated article mentions 'Insolvenz von GM'; no date filter applied"
    assert any(p.date is None for p in found.passages)


def test_a_target_year_is_reported_and_not_applied(archive: Assistant) -> None:
    found = archive.search_with_dates("Was plant Elbtor bis 2030?", top_k=5)
    [f] = found.applied_filters
    assert (f.applied, f.status, f.text) == (False, "ignored", "bis 2030")
    assert "reaches past the reference date 2023-02-16" in (f.note or "")


def test_newest_first_orders_search_and_answers_from_the_newest_article(archive: Assistant) -> None:
    question = "Was ist der neueste Stand bei der Übernahme von Elbtor?"
    found = archive.search_with_dates(question, top_k=5)
    assert [f.kind for f in found.applied_filters] == ["newest_first"]
    dates = [p.date or "" for p in found.passages]
    assert dates == sorted(dates, reverse=True)
    answer = archive.ask(question)
    assert answer.trace is not None and answer.trace.evidence
    assert {c.source for c in answer.trace.evidence} == {"a09_abschluss-elbtor.md"}  # 2023-02-16, the newest
    plain = archive.ask(question, derive_dates=False)
    assert plain.trace is not None and {c.source for c in plain.trace.evidence} != {"a09_abschluss-elbtor.md"}


def test_the_setting_turns_it_off(dated_index: Path) -> None:
    assistant = fake_assistant(dated_index, corpus=None, derive_dates=False)
    found = assistant.search_with_dates(BMW_2018, top_k=5)
    assert found.applied_filters == []
    assert assistant.ask(BMW_2018).applied_filters == []


BRIDGE = """---
title: "Brücke bei Kreuztal gesperrt"
date: 2021-05-04
---
Kreuztal - Die Talbrücke an der Bundesstraße ist für Lastwagen gesperrt. Täglich fahren mehr als 3000 Lastwagen
durch die Innenstadt. Die Umwege kosten die Unternehmen nach einer Umfrage rund 30 Millionen Euro im Jahr.
"""
TRANSFER = """---
title: "Rekordtransfer: Brandhuber wechselt nach Hellweg"
date: 2024-01-29
---
Heilbronn - Der FSV Neckartal verliert sein größtes Talent. Mittelfeldspieler Elias Brandhuber wechselt zum
Bundesligisten Borussia Hellweg. Neckartal hatte Brandhuber im Sommer {year} für 400.000 Euro von der SpVgg
Ostalb Aalen geholt und verdient nun an ihm.
"""


@pytest.mark.parametrize(("year", "told"), [("2021", True), ("2020", False)])
def test_an_event_of_the_period_reported_later_is_found(tmp_path: Path, year: str, told: bool) -> None:
    """"Wie viel zahlte Neckartal 2021 für Brandhuber?": the transfer article of 2024 tells of 2021; the 2021
    article is about a bridge. The period's articles and those naming its year are searched; an article that
    does not name it stays out (the question's year dates the articles as well)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bridge.md").write_text(BRIDGE, encoding="utf-8")
    (folder / "transfer.md").write_text(TRANSFER.format(year=year), encoding="utf-8")
    assistant = fake_assistant(tmp_path / "index", corpus=folder, min_relevance=0.0, min_relevance_cross=0.0)
    answer = assistant.ask("Wie viel zahlte Neckartal 2021 für den Transfer von Elias Brandhuber?")
    assert answer.trace is not None
    sources = {c.source for c in answer.trace.evidence}
    [f] = answer.applied_filters
    assert (f.applied, f.status, f.date_from) == (True, "applied", "2021")
    if told:
        assert "transfer.md" in sources
        assert f.note is not None and "also articles dated otherwise that name 2021" in f.note
    else:
        assert sources == {"bridge.md"} and "name 2021" not in (f.note or "")
