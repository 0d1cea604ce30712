"""Timelines with the hash embedder and a scripted LLM: recognition, events in order, citations, copies."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from assistant.factory import build_assistant
from assistant.models import Filters
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text import bm25_tokens
from assistant.timeline import timeline_text, timeline_topic
from eval.planted import ADDED, edit_text
from ingest.copies import CopyDetector
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding, ScriptedLLM

EVAL = PROJECT_ROOT / "eval"
FERNDORF = [EVAL / "corpus" / "a10_talbruecke-ferndorf.md", EVAL / "timeline_corpus" / "t04_ferndorf_sperrung.md",
            EVAL / "timeline_corpus" / "t05_ferndorf_baustart.md",
            EVAL / "timeline_corpus" / "t06_ferndorf_richtfest.md",
            EVAL / "corpus" / "a11_seentalbahn-reaktivierung.md", PROJECT_ROOT / "corpus" / "004_575870f288329a95.txt"]
QUESTION = "Wie hat sich der Neubau der Ferndorftalbrücke entwickelt?"


@pytest.mark.parametrize(("question", "topic"), [
    ("Wie hat sich die Partnerschaft von BMW und Toyota entwickelt?", "Partnerschaft von BMW und Toyota"),
    ("What happened between Renault and Nissan?", "Renault and Nissan"),
    ("Was ist zwischen Renault und Nissan passiert?", "Renault und Nissan"),
    ("Chronologie der Regierungsbildung im Saarland", "Regierungsbildung im Saarland"),
    ("Wie entwickelte sich die Lage bei Kessler?", "Lage bei Kessler"),
    ("Timeline of the Nordlicht III wind farm", "Nordlicht III wind farm"),
    ("How did things develop at Kessler Haustechnik?", "things at Kessler Haustechnik"),
    ("How did the BMW-Toyota partnership evolve?", "BMW-Toyota partnership"),
    ("Wie ging es mit der Seentalbahn weiter?", "Seentalbahn"),
    ("Wie entwickelte sich die Lage von Hanseatia unter Thielen von seiner Vorstellung bis zu seiner Entlassung?",
     "Lage von Hanseatia unter Thielen"),
    ("How has the Seentalbahn project developed since 2021?", "Seentalbahn project"),
    # not a story: a fact, or how figures changed
    ("Wann wurde Carlos Ghosn verhaftet?", None),
    ("Wie haben sich Umsatz und operativer Gewinn von Elbtor von 2021 auf 2022 entwickelt?", None),
    ("How did the share price develop?", None),
    ("What kind of partner is Nissan looking for to develop software?", None),
    ("Für welche Elektroautos hat BMW eine Carbon-Karosserie entwickelt?", None),
    # the timeline word after a preposition says when, the question asks for something else
    ("Welche Rolle spielte der Hedgefonds Tidewater Capital im Verlauf der Elbtor-Übernahme?", None),
    ("Was forderte Tidewater im weiteren Verlauf der Übernahme?", None),
    ("What was the largest fine in the history of the EU?", None),
    ("Verlauf der Elbtor-Übernahme", "Elbtor-Übernahme"),
])
def test_timeline_questions_are_recognised(question: str, topic: str | None) -> None:
    assert timeline_topic(question) == topic


@pytest.fixture
def newsroom(tmp_path: Path, settings: Settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    for f in FERNDORF:
        shutil.copy(f, folder / f.name)
    # a regional paper prints the dpa report of the closure with small edits: one story, shown once
    body = (EVAL / "timeline_corpus" / "t04_ferndorf_sperrung.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    copy = edit_text(body, 0.06, random.Random(3), ADDED)[0]
    (folder / "copy_t04.md").write_text(f'---\ntitle: "Brücke dicht für Lkw"\noutlet: "Siegener Zeitung"\n'
                                        f"date: 2019-10-02\n---\n{copy}\n", encoding="utf-8")
    s = settings.replace(min_relevance=0.05, min_relevance_cross=0.0)
    llm = ScriptedLLM("Dazu enthalten die Quellen keine Informationen.")
    assistant = build_assistant(s, embedder=HashEmbedding(), llm=llm)
    ingest([folder], assistant.store, assistant.retriever.embedder, copies=CopyDetector())
    return assistant, llm


def test_events_are_dated_cited_and_in_order(newsroom) -> None:
    assistant, _ = newsroom
    t = assistant.timeline(QUESTION)
    assert t.topic == "Neubau der Ferndorftalbrücke" and len(t.events) >= 4
    assert [e.citation.n for e in t.events] == list(range(1, len(t.events) + 1))
    keys = [e.date for e in t.events]
    assert keys == sorted(keys, key=lambda d: tuple(int(x) for x in d.split("-")))
    for e in t.events:  # every event is its article's sentence, at its offsets
        found = assistant.document(e.citation.doc_id)
        assert found is not None and found[1][e.citation.start : e.citation.end] == e.text == e.citation.text
    assert len({e.citation.doc_id for e in t.events}) >= 3  # across articles
    closures = [e for e in t.events if "für Lastwagen über 7,5 Tonnen gesperrt" in e.text]
    assert closures and all(e.date.startswith("2019-10") and e.date_source == "sentence" for e in closures)
    assert any(e.date == "2022-07-07" for e in t.events)  # "Am Donnerstag rückten die ersten Bagger an" (07-08)
    assert not any("Seentalbahn" in e.text or "Toyota" in e.text for e in t.events)  # other stories stay out


def test_a_copy_of_a_report_adds_no_event(newsroom) -> None:
    assistant, _ = newsroom
    t = assistant.timeline(QUESTION)
    sources = [e.citation.source for e in t.events]
    assert not ({"t04_ferndorf_sperrung.md", "copy_t04.md"} <= set(sources))  # one printing of the story
    shown = [e for e in t.events if e.citation.source in ("t04_ferndorf_sperrung.md", "copy_t04.md")]
    assert shown and shown[0].citation.also_in  # the other printing is listed with the citation
    words = [set(bm25_tokens(e.text)) for e in t.events]
    assert all(len(a & b) / len(a | b) < 0.6 for i, a in enumerate(words) for b in words[:i])


def test_ask_answers_a_timeline_question_with_the_timeline_and_no_llm(newsroom) -> None:
    assistant, llm = newsroom
    answer = assistant.ask(QUESTION)
    assert answer.answerable and answer.timeline and answer.trace is not None
    assert answer.trace.mode == "timeline" and answer.trace.question_kind == "timeline"
    assert answer.citations == [e.citation for e in answer.timeline]
    lines = answer.answer.splitlines()
    assert lines[0] == "Chronologie aus den Artikeln:" and len(lines) == len(answer.timeline) + 1
    assert all(line.endswith(f"[{n}]") for n, line in enumerate(lines[1:], 1))
    assert llm.calls == []  # every event is a sentence of an article: nothing is generated


def test_an_english_timeline_question_gets_an_english_frame(newsroom) -> None:
    assistant, _ = newsroom
    t = assistant.timeline("Timeline of the Ferndorftal bridge replacement")
    assert t.language == "en" and t.events
    assert timeline_text(t).startswith("Timeline from the articles:\n- ")


def test_the_timeline_in_ask_can_be_switched_off(newsroom) -> None:
    assistant, llm = newsroom
    assistant.settings = assistant.settings.replace(timeline_in_ask=False)
    answer = assistant.ask(QUESTION)
    assert answer.timeline is None and llm.calls  # the usual path: the LLM writes the answer
    assert assistant.timeline(QUESTION).events  # POST /api/timeline still works


def test_other_questions_take_the_usual_path(newsroom) -> None:
    assistant, llm = newsroom
    answer = assistant.ask("Wie lang ist die alte Ferndorftalbrücke?")
    assert answer.timeline is None and llm.calls  # the LLM was asked


def test_filters_apply_and_nothing_found_is_a_refusal(newsroom) -> None:
    assistant, _ = newsroom
    t = assistant.timeline(QUESTION, filters=Filters(date_from="2022"))
    assert t.events and all(e.citation.date and e.citation.date >= "2022" for e in t.events)
    empty = assistant.ask("Wie hat sich die Partnerschaft von Airbus und Boeing entwickelt?",
                          filters=Filters(outlet=["Niemand"]))
    assert not empty.answerable and empty.timeline is None and empty.citations == []


def test_dates_in_a_timeline_question_restrict_it_and_are_reported(newsroom) -> None:
    assistant, _ = newsroom
    answer = assistant.ask("Wie hat sich der Neubau der Ferndorftalbrücke seit 2022 entwickelt?")
    assert answer.timeline and all(e.citation.date and e.citation.date >= "2022" for e in answer.timeline)
    [f] = answer.applied_filters
    assert (f.kind, f.date_from, f.applied, f.status) == ("date_range", "2022", True, "applied")
    everything = assistant.ask(QUESTION)
    assert everything.applied_filters == [] and any(e.date < "2022" for e in everything.timeline or [])
    unfiltered = assistant.ask("Wie hat sich der Neubau der Ferndorftalbrücke seit 2022 entwickelt?",
                               derive_dates=False)
    assert unfiltered.applied_filters == [] and any(e.date < "2022" for e in unfiltered.timeline or [])


def test_a_period_without_events_widens_the_timeline_and_says_so(newsroom) -> None:
    assistant, _ = newsroom
    answer = assistant.ask("Wie hat sich der Neubau der Ferndorftalbrücke bis 2005 entwickelt?")
    assert answer.timeline  # over all dates
    [f] = answer.applied_filters
    assert (f.applied, f.status) == (False, "no_match")
