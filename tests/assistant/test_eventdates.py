"""Dates of event sentences, resolved against the article's date (table-driven)."""

from __future__ import annotations

import pytest

from assistant.eventdates import event_date, format_date, in_past_tense, looks_ahead


@pytest.mark.parametrize(("sentence", "article", "iso", "source"), [
    # named dates, as precise as written
    ("Die Kommission hatte am 3. November 2022 zugestimmt.", "2023-02-16", "2022-11-03", "sentence"),
    ("Der Vertrag wurde am 12.05.2021 unterzeichnet.", "2021-06-01", "2021-05-12", "sentence"),
    ("The deal was signed on May 12, 2021.", "2021-06-01", "2021-05-12", "sentence"),
    ("Die Sparkasse hatte das Entgelt im April 2020 eingeführt.", "2022-09-29", "2020-04", "sentence"),
    ("Ghosn wurde 2018 in Tokio verhaftet.", None, "2018", "sentence"),
    ("Er floh Ende 2019 in den Libanon.", None, "2019", "sentence"),
    # relative to the article's date: the last such month or day
    ("Beide Hersteller hatten bereits im Dezember eine Vereinbarung unterzeichnet.", "2018-06", "2017-12", "sentence"),
    ("Am Donnerstag hatte BMW mitgeteilt, nicht mehr zu verhandeln.", "2022-05-13", "2022-05-12", "sentence"),
    ("Der Vollzug sei am Mittwoch erfolgt, teilte Baltrans mit.", "2023-02-16", "2023-02-15", "sentence"),
    ("Die Brücke ist seit Dienstag für Lastwagen gesperrt worden.", "2019-10-02", "2019-10-01", "sentence"),
    ("Gestern einigten sich die Partner.", "2015-04-28", "2015-04-27", "sentence"),
    ("Im vergangenen Jahr sank der Umsatz um 12 Prozent.", "2024-03-21", "2023", "sentence"),
    ("Vor zwei Jahren war die Brücke gesperrt worden.", "2021-03-13", "2019", "sentence"),
    ("Die Koalition war im vergangenen Herbst zerbrochen.", "2015-03-23", "2014", "sentence"),
    ("Am 12. März wurde der Vertrag unterzeichnet.", "2015-02-28", "2014-03-12", "sentence"),
    # plans, deadlines and the present: the article's date
    ("Die Annahmefrist soll im Juni beginnen.", "2022-05-12", "2022-05-12", "article"),
    ("Den Abschluss erwarten die Unternehmen bis Ende 2022.", "2022-05-12", "2022-05-12", "article"),
    ("Die Züge sollen ab Ende 2028 rollen.", "2024-06-05", "2024-06-05", "article"),
    ("Die SPD entscheidet auf einem Landesparteitag am 2. Mai.", "2015-04-28", "2015-04-28", "article"),
    ("Vom 1. April an wird ein Entgelt fällig, wie das Institut am Dienstag mitteilte.", "2020-02-19", "2020-02-18",
     "sentence"),
    ("Wendisch kündigte an, im Februar mit dem Bau zu beginnen.", "2025-12-02", "2025-12-02", "article"),
    # dates that describe a thing or a comparison
    ("Gutachter fanden Risse in der 1968 gebauten Brücke.", "2019-10-02", "2019-10-02", "article"),
    ("Das Angebot liegt über der im Mai 2022 genannten Summe.", "2023-02-16", "2023-02-16", "article"),
    ("Kessler setzte 41 Prozent weniger Geräte ab als im Vorjahr.", "2023-11-08", "2023-11-08", "article"),
    ("Flensburg beschließt den Haushalt 2024.", "2023-12-15", "2023-12-15", "article"),
    ("Rund 2000 Beschäftigte streikten am Mittwoch.", "2018-06-20", "2018-06-20", "sentence"),
    ("Die Zahl sank auf 2,1 Milliarden.", "2015-04-28", "2015-04-28", "article"),
])
def test_event_dates(sentence: str, article: str | None, iso: str, source: str) -> None:
    found = event_date(sentence, article)
    assert found is not None
    assert (found.iso, found.source) == (iso, source)


def test_an_undated_sentence_of_an_undated_article_has_no_date() -> None:
    assert event_date("Die Gespräche laufen.", None) is None
    assert event_date("Am Donnerstag einigten sie sich.", None) is None  # relative to nothing


def test_the_more_precise_date_wins_and_parts_of_a_year_sort_inside_it() -> None:
    both = event_date("2019 begannen die Planungen, am 3. Mai 2019 fiel der Beschluss.", "2020-01-01")
    assert both is not None and both.iso == "2019-05-03"
    late, early = event_date("Ende 2019 floh er.", None), event_date("Anfang 2019 kam er.", None)
    assert late is not None and early is not None and early.sort < late.sort


@pytest.mark.parametrize(("sentence", "past"), [
    ("Am Donnerstag rückten die ersten Bagger an.", True),
    ("Die Mitarbeiter sagten, es gehe voran.", True),
    ("Der Nabu hat Klage eingereicht.", True),
    ("Die alte Brücke ist 486 Meter lang.", False),
    ("Ursprünglich sollte der Satellit im Oktober 2024 starten.", False),
    ("Auch andere Hersteller sind längst Partner.", False),
])
def test_past_tense(sentence: str, past: bool) -> None:
    assert in_past_tense(sentence) is past


@pytest.mark.parametrize(("sentence", "ahead"), [
    ("Die Bauarbeiten sollen im Frühjahr 2025 beginnen.", True),
    ("Die Strecke wird im Sommer gesperrt.", True),
    ("Der Termin musste verschoben werden, weil die Pumpe ausgefallen war.", False),
    ("Die Kommission genehmigte die Übernahme.", False),
])
def test_looking_ahead(sentence: str, ahead: bool) -> None:
    assert looks_ahead(sentence) is ahead


@pytest.mark.parametrize(("iso", "lang", "text"), [
    ("2022-05-12", "de", "12. Mai 2022"), ("2022-05-12", "en", "12 May 2022"), ("2017-12", "de", "Dezember 2017"),
    ("2017-12", "en", "December 2017"), ("2019", "de", "2019"),
])
def test_format_date(iso: str, lang: str, text: str) -> None:
    assert format_date(iso, lang) == text
