"""Dates from the question in headless Chromium with the real models (the shared `assistant serve` over the
bundled corpus, where only 004 is dated: June 2018): a question with "2018" shows the chip and answers from
the 2018 article only; the chip's ✕ asks the same question again without the date."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live import RealServer
from tests.ui.test_browser import ANSWER_TIMEOUT_MS, ask, last_bot, shot

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

QUESTION = "Mit wem will BMW 2018 enger kooperieren?"
DATED = "004_575870f288329a95.txt"  # BMW and Toyota, dpa, 2018-06; 003 (BMW and GM) has no date


def test_a_year_becomes_a_removable_chip_and_the_answer_comes_from_that_year(browser: Any,
                                                                            real_server: RealServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(real_server.url)
        page.wait_for_selector("#question textarea")
        bot = ask(page, QUESTION)
        chip = bot.locator(".chips .chip")
        assert chip.count() == 1, bot.inner_text()
        assert chip.locator(".chip-label").inner_text() == "Zeitraum: 2018"
        assert "chip-applied" in (chip.get_attribute("class") or "")
        assert bot.locator(".answer").count() == 1, bot.inner_text()  # answered, not refused
        cards = page.locator("#sources .src-card")
        assert cards.count() >= 1
        metas = cards.locator(".src-meta").all_inner_texts()
        assert all("2018-06" in m and DATED in m for m in metas), metas  # the 2018 article only
        shot(page, "30_dates_chip")

        users = page.locator('#chat [data-testid="user"]').count()
        chip.locator("a.chip-x").click()
        # the same question, answered again in place of the first answer, without any chip
        page.wait_for_function(
            """() => { const bots = document.querySelectorAll('#chat [data-testid="bot"]');
                       const last = bots[bots.length - 1];
                       return last && !last.querySelector('.chips')
                              && last.querySelector('.answer, .state-not-in-sources'); }""",
            timeout=ANSWER_TIMEOUT_MS)
        assert page.locator('#chat [data-testid="user"]').count() == users
        assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == QUESTION
        shot(page, "31_dates_chip_removed")
        again = last_bot(page)
        assert again.locator(".chips").count() == 0
    finally:
        context.close()


@pytest.mark.model_answers
def test_without_the_date_the_undated_gm_article_answers(browser: Any, real_server: RealServer) -> None:
    """What removing the chip is for: the best answer over all dates comes from another article."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(real_server.url)
        page.wait_for_selector("#question textarea")
        bot = ask(page, QUESTION)
        assert "Toyota" in bot.inner_text()
        bot.locator(".chips a.chip-x").click()
        page.wait_for_function(
            """() => { const bots = document.querySelectorAll('#chat [data-testid="bot"]');
                       const last = bots[bots.length - 1];
                       return last && !last.querySelector('.chips') && last.querySelector('.answer'); }""",
            timeout=ANSWER_TIMEOUT_MS)
        assert "GM" in last_bot(page).inner_text()
        assert "003_09edd9866d9f63b6.txt" in page.locator("#sources").inner_text()
    finally:
        context.close()
