"""Sentence spans, language detection and BM25 tokens."""

import pytest

from assistant.text import bm25_tokens, detect_language, question_language, sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Der Kurs stieg um 43%. Dann fiel er.", ["Der Kurs stieg um 43%.", "Dann fiel er."]),
        ("Am 28. Februar kam es zur Einigung. Danach nicht.", ["Am 28. Februar kam es zur Einigung.", "Danach nicht."]),
        ("Das sagte z. B. der Chef. Gut.", ["Das sagte z. B. der Chef.", "Gut."]),
        ("Dr. Müller kam. Prof. Meier ging.", ["Dr. Müller kam.", "Prof. Meier ging."]),
        ("Im 3. Quartal stieg der Umsatz.", ["Im 3. Quartal stieg der Umsatz."]),
        ("Ghosn wurde 2018 verhaftet. Er floh 2019.", ["Ghosn wurde 2018 verhaftet.", "Er floh 2019."]),
        ("«Gut so.» Sagte er. Und ging.", ["«Gut so.»", "Sagte er.", "Und ging."]),
        ("Überschrift ohne Punkt\nErster Satz. Zweiter Satz!",
         ["Überschrift ohne Punkt", "Erster Satz.", "Zweiter Satz!"]),
        ("Kosten von ca. 5 Mio. Euro. Neu.", ["Kosten von ca. 5 Mio. Euro.", "Neu."]),
        ("Was nun? Weiter so.", ["Was nun?", "Weiter so."]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_spans_point_into_the_text() -> None:
    text = "  Erster Satz.  Zweiter Satz.\n\nDritter."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Erster Satz.", "Zweiter Satz.", "Dritter."]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Die beiden Autobauer wollen künftig bei der Entwicklung alternativer Antriebe kooperieren.", "de"),
        ("The two carmakers want to cooperate on alternative drivetrains in the future.", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Wann wurde Carlos Ghosn verhaftet?", "de"),
        ("Wie viel kostet ein Nissan Rogue?", "de"),
        ("In which markets will the expanded Nissan EV strategy apply?", "en"),
        ("When was Ghosn arrested?", "en"),
        # English questions full of German names: the function words decide, not the letters
        ("How much severance did Hanseatia Lübeck pay Markus Thielen?", "en"),
        ("Which new players had Hanseatia Lübeck signed by the time Markus Thielen was presented?", "en"),
        ("Wer übernimmt bei Hanseatia Lübeck nach der Entlassung von Markus Thielen?", "de"),
    ],
)
def test_question_language(question: str, lang: str) -> None:
    assert question_language(question) == lang


def test_bm25_tokens_stem_fold_and_drop_stopwords() -> None:
    tokens = bm25_tokens("Die Autobauer bauen ihre Partnerschaften aus")
    assert "die" not in tokens
    assert bm25_tokens("Partnerschaft")[0] == bm25_tokens("Partnerschaften")[0]
    assert bm25_tokens("Verhandlungen")[0] == bm25_tokens("Verhandlung")[0]
    assert bm25_tokens("Übernahme") == bm25_tokens("Ubernahme")
    assert "plug" in bm25_tokens("Plug-in-Autos")  # hyphenated compounds also yield their parts
