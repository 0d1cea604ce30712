"""The throwaway index of an evaluation: ingest the corpus folder, then locate every supporting passage."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.errors import InputError
from assistant.service import Assistant
from assistant.settings import Settings
from eval.gold import Question
from eval.metrics import Span, locate
from ingest.factory import build_ingester


def build_index(
    assistant: Assistant, settings: Settings, corpora: Sequence[Path], quiet: bool = False
) -> dict[str, Any]:
    """Ingest the corpus folders into the assistant's (throwaway) index; returns what the report says."""
    for corpus in corpora:
        if not corpus.is_dir():
            raise InputError(f"the corpus folder {corpus} does not exist; pass --corpus DIR")
    bar = tqdm(total=0, unit="article", desc="ingest (throwaway index)", disable=quiet, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    ingester = build_ingester(settings, assistant.retriever.embedder, assistant.store)  # BM25 file: index_dir
    summary = ingester.ingest(list(corpora), progress=progress)
    bar.close()
    docs = assistant.documents()
    if not docs:
        raise InputError(f"no article could be ingested from {', '.join(map(str, corpora))}: {summary.report()}")
    return {
        "path": ", ".join(str(c) for c in corpora),
        "articles": len(docs),
        "chunks": assistant.store.count_chunks(),
        "skipped": [f"{s.source}: {s.reason}" for s in summary.skipped],
        "languages": count(d.language for d in docs),
        "ingest_s": round(summary.seconds, 1),
    }


def gold_spans(
    assistant: Assistant, questions: Sequence[Question]
) -> tuple[dict[str, list[Span | None]], dict[str, str], list[str]]:
    """Where each supporting passage lies in the ingested article text; the language of every source."""
    texts: dict[str, str] = {}
    languages: dict[str, str] = {}
    for d in assistant.documents():
        found = assistant.document(d.doc_id)
        texts[d.source] = found[1] if found else ""
        languages[d.source] = d.language
    spans: dict[str, list[Span | None]] = {}
    unlocated: list[str] = []
    for q in questions:
        spans[q.id] = []
        for p in q.supporting_passages:
            where = next(
                (
                    Span(s, *loc)
                    for s in q.expected_sources
                    if (loc := locate(texts.get(s, ""), p)) is not None
                ),
                None,
            )
            spans[q.id].append(where)
            if where is None:
                unlocated.append(f"{q.id}: {p[:80]}")
    return spans, languages, unlocated


def count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
