"""Tests for ingest.chunking: the page numbers a chunk of a paged article (PDF) gets."""

from __future__ import annotations

import pytest

from assistant.models import Article
from ingest.chunking import chunk_article

# Three one-sentence paragraphs; with a target of one word, every sentence is a chunk of its own.
TEXT = "Erster Satz auf Seite eins.\n\nZweiter Satz.\n\nDritter Satz am Ende."
SECOND, THIRD = TEXT.index("Zweiter"), TEXT.index("Dritter")


@pytest.mark.parametrize(
    ("page_starts", "target_words", "expected"),
    [
        (None, 1, [(None, None)] * 3),
        ([0], 1, [(1, None)] * 3),
        ([0, SECOND, THIRD], 1, [(1, None), (2, None), (3, None)]),
        ([0, SECOND + 3, THIRD], 1, [(1, None), (1, 2), (3, None)]),  # page 2 starts inside a sentence
        ([0, THIRD, THIRD], 1, [(1, None), (1, None), (3, None)]),  # page 2 has no text: the later page
        ([0, SECOND], 100, [(1, 2)]),  # one chunk over both pages
        ([0, len(TEXT)], 100, [(1, None)]),  # page 2 starts after the last character
    ],
)
def test_chunks_get_the_page_they_start_on_and_the_one_they_end_on(
    page_starts: list[int] | None, target_words: int, expected: list[tuple[int | None, int | None]]
) -> None:
    article = Article(doc_id="d", source="a.pdf", title="T", text=TEXT, page_starts=page_starts)
    chunks = chunk_article(article, target_words=target_words, overlap_sentences=0)
    assert [(c.page, c.page_end) for c in chunks] == expected
