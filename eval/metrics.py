"""Evaluation metrics as pure functions: spans, retrieval, key facts, citations, refusals, percentiles.

Everything here works on plain values (strings, offsets, lists), so the tests can feed hand-made inputs.
The faithfulness judge lives in ``eval/judge.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KS = (1, 3, 5)

_FOLD = str.maketrans(
    {
        "„": '"',
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "–": "-",
        "—": "-",
        "\u00ad": "",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True)
class Span:
    """A stretch of an ingested article: its source path and character offsets into the article text."""

    source: str
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        """Same article and at least one character in common."""
        return self.source == other.source and self.start < other.end and other.start < self.end


# --- locating supporting passages ----------------------------------------------------------------
def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text (quotes, dashes, whitespace runs -> one space, lower case) and, per character, its
    offset in ``text``."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        c = ch.translate(_FOLD)
        if not c:
            continue
        if c.isspace():
            if out and out[-1] == " ":
                continue
            c = " "
        low = c.lower()
        out.append(low if len(low) == 1 else c)
        where.append(i)
    return "".join(out), where


def locate(text: str, passage: str) -> tuple[int, int] | None:
    """Character span of ``passage`` in ``text``: verbatim first, else after folding whitespace, quote
    marks, dashes and case. ``None`` if it does not occur (e.g. it was page furniture removed at ingest)."""
    if not passage.strip():
        return None
    i = text.find(passage)
    if i >= 0:
        return i, i + len(passage)
    norm_text, where = _normalise_with_map(text)
    norm_passage = _normalise_with_map(passage)[0].strip()
    j = norm_text.find(norm_passage)
    if j < 0:
        return None
    return where[j], where[j + len(norm_passage) - 1] + 1


# --- retrieval -----------------------------------------------------------------------------------
def retrieval_scores(
    hits: Sequence[Span],
    expected_sources: Sequence[str],
    passages: Sequence[Span | None],
    ks: Iterable[int] = KS,
) -> dict[str, float]:
    """Scores of one ranked hit list for one answerable question.

    - ``hit@k``: 1 if an expected article is among the first k hits (article level).
    - ``mrr``: 1 / rank of the first hit from an expected article (0 if none was retrieved).
    - ``recall@k``: share of the supporting passages that some of the first k hits overlap (passage level);
      a passage that could not be located in the ingested text (``None``) counts as not found.
    - ``sources@k``: share of the expected articles among the first k hits (for multi-article questions).
    """
    expected = set(expected_sources)
    first = next((r for r, h in enumerate(hits, 1) if h.source in expected), None)
    out: dict[str, float] = {}
    for k in ks:
        top = hits[:k]
        out[f"hit@{k}"] = float(first is not None and first <= k)
        covered = sum(1 for p in passages if p is not None and any(h.overlaps(p) for h in top))
        out[f"recall@{k}"] = covered / len(passages) if passages else 0.0
        out[f"sources@{k}"] = len(expected & {h.source for h in top}) / len(expected) if expected else 0.0
    out["mrr"] = 1.0 / first if first else 0.0
    return out


# --- answers -------------------------------------------------------------------------------------
def key_fact_scores(answer: str, key_facts: Sequence[Sequence[str]]) -> tuple[bool, float]:
    """(all facts present, share of facts present). A fact is present when any of its alternatives occurs
    in the answer as a case-insensitive substring (whitespace runs count as one space)."""
    if not key_facts:
        return True, 1.0
    text = " ".join(answer.split()).casefold()
    present = sum(1 for alts in key_facts if any(" ".join(a.split()).casefold() in text for a in alts))
    return present == len(key_facts), present / len(key_facts)


def citation_scores(
    cited: Sequence[Span], passages: Sequence[Span | None], expected_sources: Sequence[str]
) -> dict[str, float | None]:
    """Citation quality of one answer to an answerable question.

    - ``precise``: share of the cited passages that overlap a supporting passage (``None`` if nothing cited).
    - ``on_article``: share of the cited passages taken from an expected article (``None`` if nothing cited).
    - ``recall``: share of the supporting passages that some cited passage overlaps (0 if nothing cited).
    """
    located = [p for p in passages if p is not None]
    expected = set(expected_sources)
    precise = on_article = None
    if cited:
        precise = sum(1 for c in cited if any(c.overlaps(p) for p in located)) / len(cited)
        on_article = sum(1 for c in cited if c.source in expected) / len(cited)
    recall = sum(1 for p in located if any(c.overlaps(p) for c in cited)) / len(passages) if passages else 0.0
    return {"precise": precise, "on_article": on_article, "recall": recall}


@dataclass(frozen=True)
class RefusalScores:
    """How well "not in the sources" matches the gold set's unanswerable questions."""

    precision: float | None
    recall: float | None
    f1: float | None
    false_refusal_rate: float | None


def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> RefusalScores:
    """``pairs`` of (gold says unanswerable, assistant refused).

    precision = correct refusals / all refusals (0 when it never refuses but should have);
    recall = correct refusals / unanswerable questions; false_refusal_rate = refused answerable / answerable.
    ``None`` where the gold set has no question of the kind needed.
    """
    tp = fp = fn = answerable = 0
    for unanswerable, refused in pairs:
        tp += unanswerable and refused
        fp += (not unanswerable) and refused
        fn += unanswerable and not refused
        answerable += not unanswerable
    positives = tp + fn
    if positives == 0:
        precision = recall = f1 = None
    else:
        recall = tp / positives
        precision = tp / (tp + fp) if tp + fp else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return RefusalScores(precision, recall, f1, fp / answerable if answerable else None)


# --- aggregation ---------------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None``; ``None`` if there are none."""
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks; ``None`` if empty."""
    vals = sorted(float(v) for v in values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else None,
    }
