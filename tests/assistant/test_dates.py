"""The date parser, table-driven: German and English, absolute, ranges, relative, events, newest first, and
numbers that are not dates. Reference date R = Tuesday 2025-05-20 unless a case says otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.date_values import following, previous
from assistant.dates import parse

R = date(2025, 5, 20)


@pytest.mark.parametrize(("question", "date_from", "date_to", "words"), [
    # years, months, days
    ("Wie viele Autos verkaufte BMW 2018?", "2018", "2018", "2018"),
    ("Was geschah im Jahr 2017 bei Opel?", "2017", "2017", "2017"),
    ("What happened in 1989?", "1989", "1989", "1989"),
    ("Was sagte sie im Dezember 2018?", "2018-12", "2018-12", "Dezember 2018"),
    ("What did the Fed do in Dec. 2018?", "2018-12", "2018-12", "Dec. 2018"),
    ("Was geschah 12/2018?", "2018-12", "2018-12", "12/2018"),
    ("What happened in 2018-06?", "2018-06", "2018-06", "2018-06"),
    ("Was geschah am 12. Juni 2018?", "2018-06-12", "2018-06-12", "12. Juni 2018"),
    ("Was geschah am 3.10.1990?", "1990-10-03", "1990-10-03", "3.10.1990"),
    ("What happened on June 12, 2018?", "2018-06-12", "2018-06-12", "June 12, 2018"),
    ("What happened on 9 November 2016?", "2016-11-09", "2016-11-09", "9 November 2016"),
    ("Was meldete VW im dritten Quartal 2019?", "2019-07", "2019-09", "dritten Quartal 2019"),
    ("How much did SAP earn in Q2 2020?", "2020-04", "2020-06", "Q2 2020"),
    ("What happened in the first half of 2021?", "2021-01", "2021-06", "first half of 2021"),
    ("Wer stieg in der Saison 2018/19 ab?", "2018", "2019", "2018/19"),
    ("Was passierte in den 1980er Jahren?", "1980", "1989", "1980er Jahren"),
    ("What happened in the 1970s?", "1970", "1979", "1970s"),
    ("Wo stand der DAX Ende 2017?", "2017", "2017", "2017"),
    ("What happened in mid-2019?", "2019", "2019", "2019"),
    # ranges and several dates
    ("Wie entwickelte sich der Ölpreis zwischen 2017 und 2019?", "2017", "2019", "zwischen 2017 und 2019"),
    ("How did prices develop from 2015 to 2018?", "2015", "2018", "from 2015 to 2018"),
    ("Was geschah von 2010 bis 2015?", "2010", "2015", "von 2010 bis 2015"),
    ("Was geschah 2015–2018?", "2015", "2018", "2015–2018"),
    ("Was beschloss der Rat zwischen Januar und April 2019?", "2019-01", "2019-04",
     "zwischen Januar und April 2019"),
    ("Which stores closed between March and May 2020?", "2020-03", "2020-05", "between March and May 2020"),
    ("Was geschah zwischen dem 1. März und dem 15. April 2020?", "2020-03-01", "2020-04-15",
     "zwischen dem 1. März und dem 15. April 2020"),
    ("Wer meldete vom 1. bis 15. März 2020 Kurzarbeit an?", "2020-03-01", "2020-03-15",
     "vom 1. bis 15. März 2020"),
    ("Wie hoch waren die Verluste 2020 und 2021?", "2020", "2021", "2020 und 2021"),
    ("What did the company do in 2019, 2020 and 2021?", "2019", "2021", "2019 … 2020 and 2021"),
    ("Wie entwickelte sich der Umsatz von 2021 auf 2022?", "2021", "2022", "von 2021 auf 2022"),
    # open ranges
    ("Welche Übernahmen gab es seit 2019?", "2019", None, "seit 2019"),
    ("Which companies has Apple bought since March 2019?", "2019-03", None, "since March 2019"),
    ("Was sagte er ab Mai 2021?", "2021-05", None, "ab Mai 2021"),
    ("Was geschah nach 2020?", "2021", None, "nach 2020"),
    ("What happened after March 2019?", "2019-04", None, "after March 2019"),
    ("Welche Beschlüsse gab es bis 2017?", None, "2017", "bis 2017"),
    ("Which reforms passed until the end of 2019?", None, "2019", "until the end of 2019"),
    ("Wie viele kamen vor 2016?", None, "2015", "vor 2016"),
    ("Was geschah vor dem Jahr 2016?", None, "2015", "vor dem Jahr 2016"),
    ("What happened before March 2019?", None, "2019-02", "before March 2019"),
    ("How much had he scored by mid-October 2022?", None, "2022-10", "by mid-October 2022"),
    ("Was geschah seit 2019 bis 2021?", "2019", "2021", "seit 2019 bis 2021"),
])
def test_absolute_dates(question: str, date_from: str | None, date_to: str | None, words: str) -> None:
    found = parse(question, R)
    assert found.range is not None, question
    assert (found.range.date_from, found.range.date_to) == (date_from, date_to)
    assert found.range.text == words
    assert not found.range.relative
    for span in found.range.spans:
        assert question[span.start:span.end] == span.text


@pytest.mark.parametrize(("question", "reference", "date_from", "date_to"), [
    ("Wie hoch war die Inflation letztes Jahr?", R, "2024", "2024"),
    ("Was beschloss der Landtag im vergangenen Jahr?", date(2024, 11, 15), "2023", "2023"),
    ("What was the unemployment rate last year?", date(2019, 3, 31), "2018", "2018"),
    ("Was meldete die Firma Ende letzten Jahres?", R, "2024", "2024"),
    ("Wie viele Autos wurden dieses Jahr zugelassen?", date(2024, 11, 15), "2024", "2024"),
    ("How many tourists came this year?", R, "2025", "2025"),
    ("Welche Firmen gingen vergangenen Monat an die Börse?", date(2024, 11, 15), "2024-10", "2024-10"),
    ("Which start-ups raised money last month?", date(2021, 7, 1), "2021-06", "2021-06"),
    ("Was passierte letzte Woche an der Börse?", R, "2025-05-12", "2025-05-18"),
    ("What happened this week?", R, "2025-05-19", "2025-05-20"),
    ("Was berichtete die Presse gestern?", date(2024, 11, 15), "2024-11-14", "2024-11-14"),
    ("What was decided yesterday?", date(2019, 3, 31), "2019-03-30", "2019-03-30"),
    ("Wie viele Stellen wurden vor zwei Jahren gestrichen?", R, "2023", "2023"),
    ("What did the ECB announce two years ago?", date(2024, 11, 15), "2022", "2022"),
    ("Wie hoch war der Umsatz vor einem Jahr?", R, "2024", "2024"),
    ("Was kostete Strom vor drei Monaten?", R, "2025-02", "2025-02"),
    ("What did analysts expect three months ago?", date(2019, 3, 31), "2018-12", "2018-12"),
    ("Wie hat sich der DAX in den letzten drei Jahren entwickelt?", R, "2022-05-20", "2025-05-20"),
    ("How has the euro changed over the past five years?", date(2021, 7, 1), "2016-07-01", "2021-07-01"),
    ("What happened over the past year?", R, "2024-05-20", "2025-05-20"),
    ("Welche Preise sind seit letztem Jahr gestiegen?", date(2024, 11, 15), "2023", None),
    ("Which prices have risen since last year?", R, "2024", None),
])
def test_relative_dates_count_from_the_reference(question: str, reference: date, date_from: str | None,
                                                 date_to: str | None) -> None:
    found = parse(question, reference)
    assert found.range is not None, question
    assert (found.range.date_from, found.range.date_to) == (date_from, date_to)
    assert found.range.relative


def test_relative_words_without_a_reference_are_reported_not_guessed() -> None:
    found = parse("Wie hoch war die Inflation letztes Jahr?", None)
    assert found.range is None
    assert found.needs_reference is not None and found.needs_reference.text == "letztes Jahr"


@pytest.mark.parametrize(("question", "relation", "words"), [
    ("Welche Werke wollte Opel vor der Insolvenz von GM schließen?", "before", "Insolvenz von GM"),
    ("Welche Spieler kamen seit der Trennung von Trainer Walter?", "since", "Trennung von Trainer Walter"),
    ("Wie veränderten sich die Mieten seit der Pandemie?", "since", "Pandemie"),
    ("Was sagte Merkel vor der Bundestagswahl?", "before", "Bundestagswahl"),
    ("Was bleibt bis zum Brexit?", "until", "Brexit"),
    ("What did Renault say before Ghosn's arrest?", "before", "Ghosn's arrest"),
    ("What has changed since the diesel scandal?", "since", "diesel scandal"),
    ("How did Nissan respond after the arrest of Carlos Ghosn?", "after", "arrest of Carlos Ghosn"),
])
def test_event_anchors(question: str, relation: str, words: str) -> None:
    found = parse(question, R)
    assert found.range is None
    assert found.event is not None, question
    assert (found.event.relation, found.event.words) == (relation, words)


@pytest.mark.parametrize("question", [
    "Was ist die neueste Meldung zu den Tarifverhandlungen?",
    "Was sind die aktuellsten Zahlen zur Kurzarbeit?",
    "Wann hat der FC Bayern zuletzt gegen Dortmund verloren?",
    "Was waren die jüngsten Entwicklungen im Streit?",
    "What is the latest news on the Boeing 737 Max?",
    "What are the most recent figures on exports?",
    "What has the chancellor said recently about the budget?",
    "What are the newest findings on the vaccine?",
])
def test_newest_first(question: str) -> None:
    found = parse(question, R)
    assert found.newest_first is not None, question
    assert found.range is None and found.event is None


@pytest.mark.parametrize("question", [
    # numbers that count or name something
    "Wie viele der 2000 Mitarbeiter in Wolfsburg sind betroffen?",
    "Wie viele der 1950 Beschäftigten verlieren ihren Job?",
    "How many of the 1900 employees will lose their jobs?",
    "What did the 2000 protesters demand?",
    "Warum sank der Gewinn um 4,8 Prozent?",
    "Um wie viel Prozent stieg der Umsatz auf 2,5 Milliarden Euro?",
    "Rund 2000 Menschen demonstrierten – warum?",
    "Was regelt Paragraf 2019 der Ordnung?",
    "Wie viele Menschen kamen vor 2000 Jahren?",
    "Which airlines still fly the Airbus A380?",
    "Why was the Boeing 747 retired?",
    "Was kostet der neue ID.3 von Volkswagen?",
    "Warum verlor der Verein 1:3 gegen Gütersloh?",
    "Welche Städte führen Tempo 30 ein?",
    # date-like words that are no dates of articles
    "Wer ist der neue Trainer von Hertha BSC?",
    "Wann soll das Werk spätestens fertig sein?",
    "By when at the latest must the banks comply?",
    "Who scored in the last match of the season?",
    "Wer ist seit zwei Jahren Trainer?",
    "Seit wie vielen Jahren ist sie Ministerin?",
    "Wie stark stieg der Umsatz im Vergleich zum Vorjahr?",
    "How did sales compare with the previous year?",
    "What did the company promise in May?",
    "What did the club announce on Monday?",
    "Wie groß ist das Loch im Haushalt für 2024?",
    "Was steht im Haushalt 2024 der Stadt?",
    "What are the largest items in Flensburg's 2024 budget?",
    "Wie viel verdiente VW im Geschäftsjahr 2018?",
    "What are the climate targets for 2050?",
    "Was sagte der Trainer nach dem Spiel?",
    "Was sagte er nach dem Treffen über die Fusion?",
    "Wann wurde Carlos Ghosn verhaftet?",
    "In welchem Jahr wurde die Brücke gebaut?",
])
def test_no_filter(question: str) -> None:
    found = parse(question, R)
    assert found.range is None and found.newest_first is None and found.event is None, found


@pytest.mark.parametrize(("question", "words"), [
    ("Wie viele Stellen will Volkswagen bis 2030 abbauen?", "bis 2030"),
    ("Was plant BMW 2031?", "2031"),
    ("Wie viele E-Autos sollen bis Ende 2025 zugelassen sein?", "bis Ende 2025"),
])
def test_dates_after_the_reference_are_targets_not_filters(question: str, words: str) -> None:
    found = parse(question, R)
    assert found.range is None
    assert [i.span.text for i in found.ignored] == [words]


def test_a_date_and_newest_first_together() -> None:
    found = parse("Was war 2019 die neueste Entwicklung beim Brexit?", R)
    assert found.range is not None and (found.range.date_from, found.range.date_to) == ("2019", "2019")
    assert found.newest_first is not None and found.event is None  # the date wins over the event


@pytest.mark.parametrize(("value", "before", "after"), [
    ("2018", "2017", "2019"), ("2019-03", "2019-02", "2019-04"), ("2019-01", "2018-12", "2019-02"),
    ("2020-03-01", "2020-02-29", "2020-03-02"),
])
def test_previous_and_following_keep_the_precision(value: str, before: str, after: str) -> None:
    assert previous(value) == before
    assert following(value) == after
