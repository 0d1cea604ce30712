"""Sentence-based chunking with character offsets into the article text."""

from __future__ import annotations

from assistant.models import Article, Chunk
from assistant.text import sentence_spans


def chunk_article(article: Article, target_words: int = 90, overlap_sentences: int = 1) -> list[Chunk]:
    """Group whole sentences into chunks of about ``target_words`` words.

    A chunk ends after the sentence that reaches the target, or early at a paragraph break once it
    holds 60% of it. The next chunk repeats the last ``overlap_sentences`` sentences. ``start``/``end``
    are offsets into ``article.text``, so ``article.text[start:end] == chunk.text``.
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
        chunks.append(Chunk(chunk_id=f"{article.doc_id}-{len(chunks):04d}", doc_id=article.doc_id,
                            index=len(chunks), text=text[start:end], start=start, end=end))
        if j >= len(spans):
            break
        i = max(j - overlap_sentences, i + 1)
    return chunks


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What the embedder sees for a chunk: the article's title, then the passage."""
    return f"{article.title}\n{chunk.text}"
