"""Tests for ingest.pdf_text: visual lines of a PDF page joined into paragraphs, page furniture removed."""

from __future__ import annotations

import pytest

from ingest.pdf_text import Line, drop_furniture, paragraphs

FULL = "x" * 60  # a full line of body text


def body(*texts: str, top: float = 700, size: float = 10, leading: float = 12) -> list[Line]:
    """Lines of one paragraph of body text, top to bottom."""
    return [Line(t, top - i * leading, size) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (body(FULL, FULL, "Ende."), [f"{FULL} {FULL} Ende."]),
        (body(FULL + " Zusammen-", "arbeit beginnt."), [f"{FULL} Zusammenarbeit beginnt."]),
        (body(FULL + " Elektro-", "Autos fahren."), [f"{FULL} Elektro-Autos fahren."]),
        (body(FULL + " Nord-", "und Südamerika."), [f"{FULL} Nord- und Südamerika."]),
        (body(FULL + " Ab\xad", "satz."), [f"{FULL} Absatz."]),
        (body(FULL, "Kurz.", FULL, "Ende."), [f"{FULL} Kurz.", f"{FULL} Ende."]),  # a short line ends it
        ([*body(FULL, "Ende."), *body(FULL, "Zwei.", top=670)], [f"{FULL} Ende.", f"{FULL} Zwei."]),  # gap
        ([Line("Eine Überschrift", 730, 18), *body(FULL, "Ende.")], ["Eine Überschrift", f"{FULL} Ende."]),
        ([Line("Eine lange Überschrift über", 740, 18), Line("zwei Zeilen", 718, 18), *body(FULL, "Ende.")],
         ["Eine lange Überschrift über zwei Zeilen", f"{FULL} Ende."]),
        ([*body(FULL, FULL), *body(FULL, "Spalte zwei.", top=760)], [f"{FULL} {FULL}", f"{FULL} Spalte zwei."]),
    ],
)
def test_lines_are_joined_into_paragraphs(lines: list[Line], expected: list[str]) -> None:
    assert paragraphs([lines]) == [expected]


def test_running_headers_and_page_numbers_are_dropped() -> None:
    pages = [
        [Line("Freie Presse | 12.03.2019", 800, 8), *body(FULL, f"Seite {n} Text."), Line(f"Seite {n} von 3", 30, 8)]
        for n in (1, 2, 3)
    ]
    pages[1].append(Line("- 2 -", 20, 8))
    kept = drop_furniture(pages)
    assert [[line.text for line in page] for page in kept] == [[FULL, f"Seite {n} Text."] for n in (1, 2, 3)]


def test_lines_at_the_top_or_bottom_of_one_page_only_are_kept() -> None:
    pages = [[Line("Schlagzeile", 800, 18), *body(FULL, FULL, top=700)], [*body(FULL, "Ende.", top=780)]]
    assert drop_furniture(pages) == pages
