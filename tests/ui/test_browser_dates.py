"""Dates from the question in headless Chromium with the real models (the shared `assistant serve` over the
bundled corpus, where only 004 is dated: June 2018): a question with "2018" shows the chip and answers from
the 2018 article only; the chip's ✕ asks the same question again over all dates (the undated GM article is
among the sources shown at once). The two tests share one page, in file order (the second looks at the answer
the first one's ✕ brought)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.test_browser import ANSWER_TIMEOUT_MS, ask, last_bot, shot

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

QUESTION = "Mit wem will BMW 2018 enger kooperieren?"
DATED = "004_575870f288329a95.txt"  # BMW and Toyota, dpa, 2018-06; 003 (BMW and GM) has no date
ANSWERED_AGAIN = """() => { const bots = document.querySelectorAll('#chat [data-testid="bot"]');
  const last = bots[bots.length - 1];
  return last && !last.querySelector('.chips') && last.querySelector('.answer, .state-not-in-sources'); }"""
UNDATED = "003_09edd9866d9f63b6.txt"  # BMW and GM, Handelsblatt, no date
ALL_DATES_SEARCHED = f"() => document.querySelector('#sources').innerText.includes('{UNDATED}')"
SEEN: dict[str, str] = {}  # the answer with the chip, which the ✕ replaces


def ask_and_remove_the_chip(page: Any) -> None:
    """Ask QUESTION, check its chip and sources, press ✕, wait for the new answer."""
    bot = ask(page, QUESTION)
    chip = bot.locator(".chips .chip")
    assert chip.count() == 1, bot.inner_text()
    assert chip.locator(".chip-label").inner_text() == "Zeitraum: 2018"
    assert "chip-applied" in (chip.get_attribute("class") or "")
    assert bot.locator(".answer").count() == 1, bot.inner_text()  # answered, not refused
    first = bot.inner_text()
    metas = page.locator("#sources .src-card .src-meta").all_inner_texts()
    assert metas and all("2018-06" in m and DATED in m for m in metas), metas  # the 2018 article only
    shot(page, "30_dates_chip")
    users = page.locator('#chat [data-testid="user"]').count()
    chip.locator("a.chip-x").click()
    # the sources, shown at once, come from all dates again: the undated GM article, which 2018 kept out
    page.wait_for_function(ALL_DATES_SEARCHED, timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(ANSWERED_AGAIN, timeout=ANSWER_TIMEOUT_MS)
    # the same question, answered again in place of the first answer, and without any chip
    assert page.locator('#chat [data-testid="user"]').count() == users
    assert page.locator('#chat [data-testid="user"]').last.inner_text().strip() == QUESTION
    assert last_bot(page).locator(".chips").count() == 0
    shot(page, "31_dates_chip_removed")
    SEEN["first"] = first  # only once the ✕ brought its answer: the second test reads that page


def test_a_year_becomes_a_removable_chip_and_the_answer_comes_from_that_year(page: Any) -> None:
    ask_and_remove_the_chip(page)


@pytest.mark.model_answers
def test_the_chip_s_answer_is_toyota_and_without_it_there_is_still_an_answer(page: Any) -> None:
    """The model's answers: Toyota with the chip; an answer again without it (which company it names is the
    model's choice: the question still says 2018, the year of the Toyota article, and GM's is undated)."""
    if "first" not in SEEN:  # run alone
        ask_and_remove_the_chip(page)
    assert "Toyota" in SEEN["first"]
    again = last_bot(page)
    assert again.locator(".answer").count() == 1, again.inner_text()  # answered, not refused
