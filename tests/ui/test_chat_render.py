"""The chat's rendering helpers: markers, source cards with highlighted passages, states, the panel."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.errors import InputError, LLMBusy, LLMError
from assistant.models import Answer, Citation, Filters
from ui.chat_callbacks import history_of
from ui.chat_render import (
    CONTEXT_CHARS,
    answer_html,
    error_html,
    focus_span,
    link_markers,
    panel_html,
    source_card,
    sources_html,
)

ARTICLE = ("Nissan sucht Partner. Die Allianz plant Elektroautos. Ghosn wurde 2018 in Tokio verhaftet. "
           "Er floh Ende 2019 in den Libanon. Renault senkt seinen Anteil.")
PASSAGE_START = ARTICLE.index("Die Allianz")
PASSAGE_END = ARTICLE.index("Renault")


def citation(n: int = 1, text: str | None = None, start: int = PASSAGE_START, end: int = PASSAGE_END,
             **meta: str | None) -> Citation:
    values = {"doc_id": "d1", "source": "000_nissan.txt", "title": "Nissan und Renault", "outlet": "Reuters",
              "date": "2023-01", "chunk_id": "d1-0001", "score": 0.9, **meta}
    return Citation(n=n, text=ARTICLE[start:end] if text is None else text, start=start, end=end, **values)


def answer(text: str = "Ghosn wurde 2018 in Tokio verhaftet [1].", answerable: bool = True,
           citations: list[Citation] | None = None, language: str = "de", **kw: object) -> Answer:
    return Answer(answer=text, language=language, answerable=answerable,
                  citations=[citation()] if citations is None else citations, **kw)


@pytest.mark.parametrize(("text", "turn", "links"), [
    ("a [1] b", 1, ['href="#src-1-1">[1]</a>']),
    ("a [2][3]", 4, ['href="#src-4-2">[2]</a>', 'href="#src-4-3">[3]</a>']),
    ("[12] im Jahr (2018)", 2, ['href="#src-2-12">[12]</a>']),
    ("keine Marker, [x] oder [ 1 ]", 1, []),
])
def test_link_markers_point_at_the_source_card_of_that_turn(text: str, turn: int, links: list[str]) -> None:
    out = link_markers(text, turn)
    assert [part for part in links if part in out] == links
    assert out.count("<a ") == len(links)


def test_answer_html_escapes_model_output_and_links_markers() -> None:
    out = answer_html(answer('Ghosn <img src=x onerror="alert(1)"> wurde 2018 verhaftet [1].'), turn=3)
    assert "<img" not in out
    assert "&lt;img" in out
    assert 'href="#src-3-1"' in out
    assert 'class="answer"' in out


def test_answer_html_shows_the_not_in_sources_state() -> None:
    refusal = answer("Dazu enthalten die Quellen keine Informationen.", answerable=False, citations=[])
    out = answer_html(refusal, 1)
    assert "state-not-in-sources" in out
    assert "Dazu enthalten die Quellen keine Informationen." in out
    assert "cite" not in out


def test_focus_span_picks_the_sentence_that_supports_the_claim() -> None:
    passage = ARTICLE[PASSAGE_START:PASSAGE_END]
    span = focus_span(passage, ["Ghosn wurde 2018 in Tokio verhaftet"])
    assert span is not None
    a, b = span
    assert passage[a:b].strip() == "Ghosn wurde 2018 in Tokio verhaftet."
    span = focus_span(passage, ["He fled to Lebanon at the end of 2019"])  # across languages: the number
    assert span is not None
    a, b = span
    assert passage[a:b].strip() == "Er floh Ende 2019 in den Libanon."


def test_focus_span_is_none_when_too_little_matches() -> None:
    assert focus_span(ARTICLE, ["The weather in Tokio was nice"]) is None  # one shared word is chance
    assert focus_span(ARTICLE, []) is None


def test_source_card_highlights_the_cited_passage_inside_its_article() -> None:
    c = citation(n=2)
    card = source_card(c, ARTICLE, turn=1, claims=["Ghosn wurde 2018 in Tokio verhaftet"], lang="de")
    assert 'id="src-1-2"' in card
    assert "Nissan und Renault" in card
    assert "Reuters · 2023-01 · 000_nissan.txt" in card
    context = card.split('<details class="src-full">')[0]
    assert ('<mark class="passage">Die Allianz plant Elektroautos. <mark class="focus">Ghosn wurde 2018'
            in context)
    assert "Nissan sucht Partner." in context  # surrounding text before the passage ...
    assert "Renault senkt seinen Anteil." in context  # ... and after it
    full = card.split('<details class="src-full">')[1]
    assert "Ganzer Artikel" in full
    assert "Nissan sucht Partner." in full
    assert "<mark" in full


def test_source_card_shows_only_some_context_of_a_long_article() -> None:
    filler = "Wort " * 400
    article = filler + ARTICLE + " " + filler
    offset = len(filler)
    c = citation(text=ARTICLE[PASSAGE_START:PASSAGE_END], start=PASSAGE_START + offset,
                 end=PASSAGE_END + offset)
    context = source_card(c, article, 1, [], "en").split("<details")[0]
    assert context.count("Wort") < 2 * CONTEXT_CHARS / 4
    assert context.startswith('<article')
    assert "… " in context
    assert " …" in context
    assert '<mark class="passage">Die Allianz' in context
    assert "Full article" in source_card(c, article, 1, [], "en")


def test_source_card_falls_back_to_the_cited_text_when_the_article_changed() -> None:
    c = citation()
    card = source_card(c, "Ein ganz anderer Text.", 1, [], "de")
    assert '<mark class="passage">Die Allianz plant Elektroautos.' in card
    assert "Ein ganz anderer Text" not in card
    assert "src-full" not in card
    assert source_card(c, None, 1, [], "de") == card


def test_source_card_leaves_out_missing_metadata_and_escapes_it() -> None:
    card = source_card(citation(outlet=None, date=None, title="<b>T</b> {x}"), ARTICLE, 1, [], "de")
    assert '<div class="src-meta">000_nissan.txt</div>' in card
    assert "&lt;b&gt;T&lt;/b&gt; &#123;x&#125;" in card


@pytest.mark.parametrize(
    ("page", "page_end", "lang", "label"),
    [(3, None, "de", "S. 3"), (3, 4, "en", "p. 3–4"), (None, None, "en", None)],
)
def test_source_card_names_the_page_of_a_pdf(page: int | None, page_end: int | None, lang: str,
                                              label: str | None) -> None:
    c = citation(source="zwickau.pdf").model_copy(update={"page": page, "page_end": page_end})
    card = source_card(c, ARTICLE, 1, [], lang)
    meta = " · ".join(x for x in ("Reuters", "2023-01", "zwickau.pdf", label) if x)
    assert f'<div class="src-meta">{meta}</div>' in card


def test_sources_html_lists_cards_in_citation_order_and_what_verification_removed() -> None:
    a = answer("Ghosn wurde 2018 verhaftet [1]. Er floh 2019 [3].", citations=[citation(1), citation(3)],
               unsupported=["Er zahlte 600 Millionen Euro [2]. (number 600 not in the cited sources)"])
    out = sources_html(a, 2, lambda doc_id: ARTICLE)
    assert out.index('id="src-2-1"') < out.index('id="src-2-3"')
    assert "Nicht belegte Sätze wurden entfernt" in out
    assert "600 Millionen" in out


def test_sources_html_for_a_refusal_is_the_not_in_sources_state() -> None:
    out = sources_html(answer("The sources do not contain this information.", answerable=False, citations=[],
                              language="en"), 1, lambda doc_id: ARTICLE)
    assert "state-not-in-sources" in out
    assert "src-card" not in out
    assert "No source contains the answer" in out


def test_sources_html_says_when_verification_discarded_the_whole_draft() -> None:
    refused = answer("Dazu enthalten die Quellen keine Informationen.", answerable=False, citations=[],
                     unsupported=["Ghosn wurde 2019 verhaftet [1]. (number 2019 not in the cited sources)"])
    out = sources_html(refused, 1, lambda doc_id: ARTICLE)
    assert "state-not-in-sources" in out
    assert "nicht durch die Quellen belegt und wurde verworfen" in out
    assert "<li>Ghosn wurde 2019 verhaftet [1]. (number 2019 not in the cited sources)</li>" in out


@pytest.mark.parametrize(("error", "lang", "kind", "says"), [
    (LLMBusy("8 requests already wait"), "en", "state-busy", "retry in a few seconds"),
    (LLMBusy("8 requests already wait"), "de", "state-busy", "in ein paar Sekunden erneut"),
    (InputError("the question has 2500 characters; at most 2000 are allowed"), "en", "state-error",
     "at most 2000"),
    (LLMError("the LLM did not answer within 120 s"), "de", "state-error", "erneut senden"),
])
def test_error_html_says_what_happened_and_what_to_do(error: Exception, lang: str, kind: str,
                                                      says: str) -> None:
    out = error_html(error, lang)
    assert kind in out
    assert says in out


def test_error_html_explains_a_bad_date_filter() -> None:
    with pytest.raises(ValidationError) as info:
        Filters(date_from="18.06.2018")
    out = error_html(info.value, "en")
    assert "dates are ISO" in out
    assert "YYYY-MM-DD" in out
    assert "Value error" not in out


def test_panel_shows_the_latest_sources_open_and_earlier_ones_collapsed() -> None:
    exchanges = [{"question": "Erste Frage?", "answer": answer().model_dump(), "sources": "<p>S1</p>"},
                 {"question": "Zweite Frage?", "answer": answer().model_dump(), "sources": "<p>S2</p>"}]
    out = panel_html(exchanges)
    assert out.startswith("<p>S2</p>")
    assert '<details class="older"><summary>Quellen zu Frage 1: Erste Frage?</summary><p>S1</p>' in out
    thinking = panel_html(exchanges, top="<div>busy</div>")
    assert thinking.startswith("<div>busy</div>")
    assert thinking.count('<details class="older">') == 2


def test_history_of_turns_exchanges_into_alternating_turns() -> None:
    exchanges = [{"question": "Wann wurde Ghosn verhaftet?", "answer": answer().model_dump(), "sources": ""}]
    turns = history_of(exchanges)
    assert [(t.role, t.content) for t in turns] == [("user", "Wann wurde Ghosn verhaftet?"),
                                                   ("assistant", "Ghosn wurde 2018 in Tokio verhaftet [1].")]
