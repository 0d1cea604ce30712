"""Tests for ingest.metadata: stated metadata, date normalisation and building Articles."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from assistant.models import Article, sha256_text
from ingest.metadata import build_article, extract_metadata, normalise_date
from ingest.readers import RawDoc, Skipped

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
TITLE_000 = "Japans drittgrößter Autohersteller (gemessen am Umsatz) sucht einen Partner…"
TITLE_001 = "Nissan sucht offen nach Partnern, um sein Portfolio zu stärken und Kosten zu…"
LEAD = "Die beiden Autobauer wollen künftig bei alternativen Antrieben eng zusammenarbeiten."


def seed_doc(prefix: str) -> RawDoc:
    [path] = CORPUS.glob(f"{prefix}_*.txt")
    return RawDoc(source=path.name, text=path.read_text(encoding="utf-8"))


def article(raw: RawDoc) -> Article:
    result = build_article(raw)
    assert isinstance(result, Article), result
    return result


@pytest.mark.parametrize(
    ("prefix", "title", "outlet", "date", "dropped"),
    [
        ("000", TITLE_000, "Reuters", None, 0),
        ("001", TITLE_001, None, None, 0),
        ("002", "Ford führte Gespräche mit Chinas Xiaomi über EV-Partnerschaft", None, None, 0),
        ("003", "Kooperation: GM flirtet mit BMW", "Handelsblatt", None, 24),
        ("004", "München (dpa) - BMW und Toyota bauen ihre Partnerschaft massiv aus.", "dpa", "2018-06", 0),
    ],
)
def test_corpus_articles(prefix: str, title: str, outlet: str | None, date: str | None, dropped: int) -> None:
    raw = seed_doc(prefix)
    result = article(raw)
    assert (result.title, result.outlet, result.date, result.language) == (title, outlet, date, "de")
    assert len(result.dropped) == dropped
    assert result.source == raw.source
    assert result.doc_id == sha256_text(raw.source)[:16]
    assert len(result.title) <= 80


def test_seed_004_date_marker_is_removed_and_the_dateline_kept() -> None:
    raw = seed_doc("004")
    text, fields = extract_metadata(raw.text)
    assert text.startswith("München (dpa) - BMW und Toyota bauen ihre Partnerschaft massiv aus.")
    assert text.endswith(raw.text.rstrip()[-60:])
    assert fields == {"date": "2018-06", "outlet": "dpa"}
    assert article(raw).text.startswith("München (dpa) - BMW und Toyota")


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        (f"BERLIN (Reuters) - {LEAD}", "Reuters"),
        (f"Paris (AFP) – {LEAD}", "AFP"),
        (f"Frankfurt/Main (dpa-AFX) - {LEAD}", "dpa-AFX"),
        (f"Bonn (KNA) - {LEAD}", "KNA"),
        (f"Hannover (epd) - {LEAD}", "epd"),
        (f"Hamburg (dpa/AP) - {LEAD}", "dpa"),
        (f"{LEAD} " * 5 + "Berlin (dpa) - ein später Verweis.", None),  # not near the start
        (f"{LEAD} Der Betriebsrat (AP) tagt.", None),  # not a dateline
        (f'{LEAD} "Wir prüfen das", sagte eine Sprecherin dem Handelsblatt.', "Handelsblatt"),
        (f"{LEAD} Das bestätigten zwei Personen gegenüber Reuters.", "Reuters"),
        (f"{LEAD} Das sagte der Chef im Interview mit dem Handelsblatt.", "Handelsblatt"),
        (f"{LEAD} Two people told Reuters about the plans.", "Reuters"),
        (f"{LEAD} Das Unternehmen hat laut einem Bericht von Reuters verhandelt.", None),
        (f"{LEAD} Nach Angaben der Nachrichtenagentur Reuters fanden Gespräche statt.", None),
        (f"{LEAD} Das sagte er der Nachrichtenagentur Reuters.", None),
        (f"{LEAD} Das sagte er dem „Handelsblatt“.", None),
        (f"{LEAD} Das sagte er dem Handelsblatt. Sie sagte gegenüber Reuters dasselbe.", None),  # ambiguous
        (f"{LEAD} Der Vorsprung gegenüber Bloomberg wächst.", None),  # no statement
        (LEAD, None),
    ],
)
def test_outlet_detection(text: str, outlet: str | None) -> None:
    _, fields = extract_metadata(text)
    assert fields.get("outlet") == outlet


@pytest.mark.parametrize(
    ("text", "rest", "date"),
    [
        (f" date 2018-06 {LEAD}", LEAD, "2018-06"),
        (f"Date: 2018-06-01\n{LEAD}", LEAD, "2018-06-01"),
        (f"datum 2018 {LEAD}", LEAD, "2018"),
        (f"date 2018-13 {LEAD}", f"date 2018-13 {LEAD}", None),  # not a date: left alone
        (f"{LEAD} date 2018-06", f"{LEAD} date 2018-06", None),  # not at the start
    ],
)
def test_date_marker(text: str, rest: str, date: str | None) -> None:
    stripped, fields = extract_metadata(text)
    assert (stripped, fields.get("date")) == (rest, date)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018", "2018"),
        ("2018-06", "2018-06"),
        ("2018-6", "2018-06"),
        ("2018-06-01", "2018-06-01"),
        ("2018-06-01T10:15:00+02:00", "2018-06-01"),
        ("2018-06-01 10:15:00", "2018-06-01"),
        ("2018/06/01", "2018-06-01"),
        ("01.06.2018", "2018-06-01"),
        ("1. Juni 2018", "2018-06-01"),
        ("1. Juni 2018, 10:15 Uhr", "2018-06-01"),
        ("Freitag, 1. Juni 2018", "2018-06-01"),
        ("3. März 2020", "2020-03-03"),
        ("1 June 2018", "2018-06-01"),
        ("June 1, 2018", "2018-06-01"),
        ("Fri, 01 Jun 2018 10:15:00 +0000", "2018-06-01"),
        ("June 2018", "2018-06"),
        ("Juni 2018", "2018-06"),
        ("Dez. 2019", "2019-12"),
        (date(2018, 6, 1), "2018-06-01"),
        (datetime(2018, 6, 1, 23, 59), "2018-06-01"),
        ("2018-02-30", None),
        ("2018-13", None),
        ("Blub 2018", None),
        ("gestern", None),
        ("", None),
        ("06/01/2018", None),  # month or day first? unsure, so none
    ],
)
def test_normalise_date(value: str | date, expected: str | None) -> None:
    assert normalise_date(value) == expected


def test_given_metadata_overrides_what_the_text_states() -> None:
    raw = seed_doc("004")
    given = RawDoc(
        source="x/y.md",
        text=raw.text,
        title="  Gegebener\nTitel ",
        outlet="Süddeutsche Zeitung",
        date="1. Juni 2018",
        url="https://example.org/bmw",
        language="de-DE",
    )
    result = article(given)
    assert (result.title, result.outlet, result.date, result.url, result.language) == (
        "Gegebener Titel",
        "Süddeutsche Zeitung",
        "2018-06-01",
        "https://example.org/bmw",
        "de",
    )
    assert result.doc_id == sha256_text("x/y.md")[:16]


def test_unreadable_given_date_falls_back_to_the_stated_one() -> None:
    raw = seed_doc("004")
    assert article(RawDoc(source=raw.source, text=raw.text, date="irgendwann")).date == "2018-06"


def test_headline_replaced_by_a_given_title_is_reported() -> None:
    raw = seed_doc("002")
    result = article(RawDoc(source=raw.source, text=raw.text, title="Anderer Titel"))
    assert result.title == "Anderer Titel"
    assert result.dropped == ["Ford führte Gespräche mit Chinas Xiaomi über EV-Partnerschaft"]


def test_dropped_pieces_are_carried_into_the_article() -> None:
    result = article(seed_doc("003"))
    assert "Anzeige" in result.dropped
    assert "Anzeige" not in result.text


def test_language_is_detected_when_not_given() -> None:
    text = "Nissan is looking for a partner outside the car industry to develop software, people said."
    assert article(RawDoc(source="en.txt", text=text)).language == "en"


def test_title_from_a_long_first_sentence_is_cut_at_a_word_boundary() -> None:
    words = "Autobauer " * 20
    result = article(RawDoc(source="t.txt", text=f"{words}kooperieren. Zweiter Satz."))
    assert result.title.endswith("Autobauer…")
    assert len(result.title) <= 80
    assert result.title[:-1] in result.text


def test_short_first_sentence_is_the_title() -> None:
    result = article(RawDoc(source="t.txt", text=f"Kurz gesagt. {LEAD}"))
    assert result.title == "Kurz gesagt."


@pytest.mark.parametrize(
    "text",
    ["Anzeige\n\nFoto: dpa\n\n• Die aktuellen Top-Themen", "Kurz.", "Industrie\n\n_\n\n"],
)
def test_nothing_left_after_cleaning_is_skipped(text: str) -> None:
    result = build_article(RawDoc(source="s.txt", text=text))
    assert isinstance(result, Skipped)
    assert result.source == "s.txt"
    assert result.reason.startswith("no article text left after cleaning")


# Pages of a PDF as the reader gives them (lines; a page starts at the start of a line). Each "Satz N ..."
# sentence is on page N; everything else is something cleaning removes or moves.
PAGED = [
    pytest.param(["Satz 1 steht auf der ersten Seite und ist lang genug.",
                  "Satz 2 steht auf der zweiten Seite.", "Satz 3 steht auf der dritten Seite."], id="plain"),
    pytest.param(["Datum: 2019-03-12\nEine Schlagzeile aus fünf Wörtern\n\nSatz 1 steht nach Datum und Titel.",
                  "Satz 2 steht auf der zweiten Seite."], id="date marker and headline removed before page 1"),
    pytest.param(["Satz 1 ist der erste Absatz des Artikels.",
                  "Anzeige\nFoto: dpa\n\n\nSatz 2 folgt nach Werbung und Bildnachweis.\nSatz 2 geht weiter.",
                  "\n\nSatz 3 beginnt nach Leerzeilen."], id="furniture and blank lines at a page start"),
    pytest.param(["Satz 1 steht auf Seite eins.\nFreie Presse Wirtschaft",
                  "Freie Presse Wirtschaft\nSatz 2 steht auf Seite zwei."], id="a line repeated across the break"),
    pytest.param(["Satz 1 steht auf Seite eins.", "Anzeige\n1234", "Satz 3 folgt auf eine leere Seite."],
                 id="a page with nothing left"),
    pytest.param(["Satz 1 steht auf Seite eins.", "Satz 2 steht auf Seite zwei.\nMehr zum Thema",
                  "Andere Geschichte über etwas\nNoch eine Geschichte hier"], id="a trailing block removed"),
]


@pytest.mark.parametrize("pages", PAGED)
def test_page_starts_follow_the_text_through_cleaning(pages: list[str]) -> None:
    text, starts = "", []
    for page in pages:
        starts.append(len(text))
        text += page + "\n"
    result = article(RawDoc(source="a.pdf", text=text, page_starts=tuple(starts)))
    assert result.page_starts is not None and len(result.page_starts) == len(pages)
    assert result.page_starts == sorted(result.page_starts)
    for number, page in enumerate(pages, start=1):
        for sentence in re.findall(r"Satz \d [^.]*\.", page):
            at = result.text.index(sentence)
            on = max(n for n, s in enumerate(result.page_starts, start=1) if s <= at)
            assert on == number, (sentence, result.text, result.page_starts)


def test_text_formats_have_no_pages() -> None:
    assert article(RawDoc(source="a.txt", text=LEAD)).page_starts is None
