"""The hashes that say whether a stored article is up to date: of its chunks' input and of its raw file."""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from assistant.code_version import files_hash
from assistant.models import Article, sha256_text
from ingest.records import RawDoc

CHUNKER_VERSION = 1


def index_hash(article: Article, target_words: int, overlap: int) -> str:
    """Changes whenever the stored chunks of ``article`` would differ."""
    return sha256_text(f"{article.content_hash}/{target_words}/{overlap}/{CHUNKER_VERSION}")


# The code that turns a file into an Article and chunks. Any change to it makes every raw hash new, so the
# next ingest cleans every file again (and still embeds only the articles whose chunks changed).
_READ_CODE = ("ingest.readers", "ingest.records", "ingest.sniff", "ingest.documents", "ingest.pdf_text",
              "ingest.feeds", "ingest.clean", "ingest.metadata", "ingest.chunking", "assistant.text",
              "assistant.models")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    return files_hash((name, Path(str(importlib.import_module(name).__file__))) for name in _READ_CODE)


def raw_hash(raw: RawDoc, target_words: int, overlap: int) -> str:
    """Changes whenever the file's text, the metadata given with it, the chunking settings or the ingest code
    change: an article with a known raw hash is up to date without cleaning or language detection."""
    given = "\x1f".join(str(v) for v in (raw.source, raw.title, raw.outlet, raw.date, raw.url, raw.language))
    if raw.page_starts:
        given += "\x1d" + ",".join(map(str, raw.page_starts))
    settings = f"{code_fingerprint()}/{target_words}/{overlap}/{CHUNKER_VERSION}"
    return sha256_text(f"{settings}\x1e{given}\x1e{raw.text}")
