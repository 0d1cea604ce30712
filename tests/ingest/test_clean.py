"""Tests for ingest.clean: page furniture is removed and reported, article text is left alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clean import clean_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
LEAD = "Bei der Hybridtechnik und automatischen Getrieben arbeiten die beiden Konzerne bereits zusammen."
BODY = (
    "Der US-Autokonzern General Motors und der bayerische Hersteller BMW suchen einen engeren "
    "Schulterschluss. Beide Autokonzerne haben erste Gespräche aufgenommen."
)
JOBS = "Mit dem Jobturbo finden Sie 215.000 Stellenanzeigen."
MORE = "Ein Sprecher von GM sagte, der Konzern stehe mit mehreren Herstellern in Kontakt."


def seed(prefix: str) -> str:
    [path] = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def normalise_whitespace(text: str) -> str:
    lines = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", lines).strip()


def test_seed_003_keeps_the_article_and_drops_the_page_furniture() -> None:
    raw = seed("003")
    paragraphs = raw.split("\n\n")
    cleaned = clean_text(raw)

    assert cleaned.title == "Kooperation: GM flirtet mit BMW"
    assert cleaned.text.startswith("Bei der Hybridtechnik und automatischen Getrieben")
    assert cleaned.text.endswith('Die Anlagen des Konzerns werden als "spekulativ" eingestuft.')
    assert cleaned.text == "\n\n".join(
        [paragraphs[3].removeprefix("exklusiv"), paragraphs[5], paragraphs[7], paragraphs[8], paragraphs[9]]
    )
    furniture_words = ["Bikini", "Bäte", "Business-Lounge", "Jobturbo", "Bauingenieur", "Anzeige"]
    for furniture in [*furniture_words, "Quelle: dpa"]:
        assert furniture not in cleaned.text
        assert any(furniture in piece for piece in cleaned.dropped), furniture
    assert cleaned.dropped[:6] == [
        "Industrie",
        "_",
        "exklusiv",
        paragraphs[4].split("\n")[0],
        paragraphs[4].split("\n")[1],
        "Anzeige",
    ]


def test_seed_003_loses_nothing_silently() -> None:
    raw = seed("003")
    cleaned = clean_text(raw)
    for line in filter(None, (line.strip() for line in raw.split("\n"))):
        kept = " ".join(line.removeprefix("exklusiv").split()) in cleaned.text
        assert kept or line == cleaned.title or line in cleaned.dropped, line


@pytest.mark.parametrize("prefix", ["000", "001", "004"])
def test_other_seeds_come_through_unchanged(prefix: str) -> None:
    raw = seed(prefix)
    cleaned = clean_text(raw)
    assert cleaned.text == normalise_whitespace(raw)
    assert cleaned.title is None
    assert cleaned.dropped == []


def test_seed_002_headline_becomes_the_title_and_the_rest_is_unchanged() -> None:
    raw = seed("002")
    headline, _, rest = raw.partition("\n")
    cleaned = clean_text(raw)
    assert headline == "Ford führte Gespräche mit Chinas Xiaomi über EV-Partnerschaft"
    assert cleaned.title == headline
    assert cleaned.text == normalise_whitespace(rest)
    assert cleaned.dropped == []


def test_seed_000_keeps_its_section_headings() -> None:
    cleaned = clean_text(seed("000"))
    assert "\n\nALLEINGANG\n\n" in cleaned.text
    assert "\n\nGHOSN'S VISION WEG\n\n" in cleaned.text


@pytest.mark.parametrize(
    ("text", "expected_text", "expected_dropped"),
    [
        pytest.param(
            f"{LEAD}\n\nMehr zum Thema\n\nNissan sucht Partner\n\nEin ganz anderer Artikel. Mit Sätzen.",
            LEAD,
            ["Mehr zum Thema", "Nissan sucht Partner", "Ein ganz anderer Artikel. Mit Sätzen."],
            id="marker-starts-trailing-block",
        ),
        pytest.param(
            f"{LEAD}\n\nDas könnte Sie auch interessieren:\nEin Auto wie ein Bikini",
            LEAD,
            ["Das könnte Sie auch interessieren:", "Ein Auto wie ein Bikini"],
            id="interessieren-marker",
        ),
        pytest.param(
            f"{LEAD}\n\nLesen Sie auch: Daimler zeigt neuen Smart\n\n{MORE}",
            f"{LEAD}\n\n{MORE}",
            ["Lesen Sie auch: Daimler zeigt neuen Smart"],
            id="one-line-teaser-mid-article",
        ),
        pytest.param(
            f"{LEAD}\n\nDaimler in Paris: Ein Auto wie ein Bikini\n\nEin Auto wie ein Bikini\n\n"
            "Teaser. Text.",
            LEAD,
            ["Daimler in Paris: Ein Auto wie ein Bikini", "Ein Auto wie ein Bikini", "Teaser. Text."],
            id="kicker-headline-teaser-pair",
        ),
        pytest.param(
            f"{LEAD}\n\n• Business-Lounge\nDie großen Auftritte der Entscheider\n\nPremieren und Feste.",
            LEAD,
            ["• Business-Lounge", "Die großen Auftritte der Entscheider", "Premieren und Feste."],
            id="bullet-section-label",
        ),
        pytest.param(
            f"{LEAD}\n\n{JOBS}\nTop-Jobs für Sie:\n1. Ingenieur 2. Jurist",
            LEAD,
            [JOBS, "Top-Jobs für Sie:", "1. Ingenieur 2. Jurist"],
            id="job-board",
        ),
        pytest.param(
            f"{LEAD}\n\nDer BMW i3 in München. Foto: picture alliance / J. Doe\n\n{MORE}",
            f"{LEAD}\n\n{MORE}",
            ["Der BMW i3 in München. Foto: picture alliance / J. Doe"],
            id="photo-credit-caption",
        ),
        pytest.param(
            f"{LEAD}\n\nBild: Reuters\n\n{MORE}\n© dpa-infocom",
            f"{LEAD}\n\n{MORE}",
            ["Bild: Reuters", "© dpa-infocom"],
            id="bare-credits",
        ),
        pytest.param(
            f"{LEAD}\n\n- Anzeige -\n\n{MORE}\nWERBUNG",
            f"{LEAD}\n\n{MORE}",
            ["- Anzeige -", "WERBUNG"],
            id="ads",
        ),
        pytest.param(f"{LEAD}\n{LEAD}\n\n{MORE}", f"{LEAD}\n\n{MORE}", [LEAD], id="repeated-line"),
        pytest.param(f"EXKLUSIV{LEAD}\n\n{MORE}", f"{LEAD}\n\n{MORE}", ["EXKLUSIV"], id="glued-badge"),
        pytest.param(
            f"Wirtschaft\n\n***\n\n{LEAD}\n\n{MORE}",
            f"{LEAD}\n\n{MORE}",
            ["Wirtschaft", "***"],
            id="leading-label-and-rule",
        ),
    ],
)
def test_furniture_rules(text: str, expected_text: str, expected_dropped: list[str]) -> None:
    cleaned = clean_text(text)
    assert cleaned.text == expected_text
    assert cleaned.dropped == expected_dropped


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"{LEAD}\n\nDie Pläne:\n• Umsatz steigern\n• Kosten senken\n\n{MORE}", id="bullet-list"),
        pytest.param(f"{LEAD}\n\nDie Inflation lag bei 2 % (Quelle: Destatis).", id="source-in-a-sentence"),
        pytest.param(f"{LEAD}\n\nDie Zahl der Stellenanzeigen stieg im Mai.", id="jobs-in-prose"),
        pytest.param(f"{LEAD}\n\nZWISCHENTITEL\n\n{MORE}", id="section-heading"),
        pytest.param(f"{LEAD} Das Bild: Reuters berichtete zuerst darüber.", id="bild-in-a-sentence"),
        pytest.param("iPhone-Hersteller Apple plant ein Auto. Das sagen Insider.", id="lowercase-brand"),
        pytest.param("Nur eine Zeile ohne Punkt\n\n", id="single-line-is-not-a-headline"),
    ],
)
def test_article_text_is_left_alone(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned.text == text.strip()
    assert cleaned.title is None
    assert cleaned.dropped == []


@pytest.mark.parametrize(
    ("text", "title", "body"),
    [
        (f"Kooperation: GM flirtet mit BMW\n{LEAD}", "Kooperation: GM flirtet mit BMW", LEAD),
        (f"Industrie\n\nGM flirtet mit BMW\n\n{LEAD}", "GM flirtet mit BMW", LEAD),
        (f"Teure Energie\n\n{LEAD}", "Teure Energie", LEAD),
        (f"Ein Titel mit Frage?\n\n{LEAD}", None, f"Ein Titel mit Frage?\n\n{LEAD}"),
    ],
)
def test_headline_before_the_body_becomes_the_title(text: str, title: str | None, body: str) -> None:
    cleaned = clean_text(text)
    assert (cleaned.title, cleaned.text) == (title, body)


def test_whitespace_is_normalised_and_paragraphs_kept() -> None:
    text = f"  {LEAD}   \n\n\n\n{MORE}\t\n{MORE}x  \n"
    assert clean_text(text).text == f"{LEAD}\n\n{MORE}\n{MORE}x"
