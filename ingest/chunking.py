"""Sentence-based chunking with character offsets into the article text."""

from __future__ import annotations

from bisect import bisect_right

from assistant.models import Article, Chunk
from assistant.text import sentence_spans


def chunk_article(article: Article, target_words: int = 90, overlap_sentences: int = 1) -> list[Chunk]:
    """Group whole sentences into chunks of about ``target_words`` words.

    A chunk ends after the sentence that reaches the target, or early at a paragraph break once it
    holds 60% of it. The next chunk repeats the last ``overlap_sentences`` sentences. ``start``/``end``
    are offsets into ``article.text``, so ``article.text[start:end] == chunk.text``. For a paged article
    (PDF) each chunk gets the page it starts on, and ``page_end`` when it ends on another one.
    """
    text = article.text
    spans = sentence_spans(text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j = i
        words = 0
        while j < len(spans):
            words += len(text[spans[j][0] : spans[j][1]].split())
            j += 1
            if words >= target_words:
                break
            if j < len(spans) and words >= 0.6 * target_words and "\n" in text[spans[j - 1][1] : spans[j][0]]:
                break
        start, end = spans[i][0], spans[j - 1][1]
        page, page_end = _pages(article.page_starts, start, end)
        chunks.append(Chunk(chunk_id=f"{article.doc_id}-{len(chunks):04d}", doc_id=article.doc_id,
                            index=len(chunks), text=text[start:end], start=start, end=end,
                            page=page, page_end=page_end))
        if j >= len(spans):
            break
        i = max(j - overlap_sentences, i + 1)
    return chunks


def _pages(page_starts: list[int] | None, start: int, end: int) -> tuple[int | None, int | None]:
    """The page holding offset ``start`` and, if another, the one holding the last character before ``end``.
    A page without text starts where the next one does, so the later of the two is the one found."""
    if not page_starts:
        return None, None
    first = max(1, bisect_right(page_starts, start))
    last = max(first, bisect_right(page_starts, end - 1))
    return first, (last if last != first else None)


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: the article's title, then the passage."""
    return f"{article.title}\n{chunk.text}"
