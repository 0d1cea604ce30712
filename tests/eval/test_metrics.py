"""Metrics on hand-made inputs: spans, retrieval, key facts, citations, refusals, percentiles."""

from __future__ import annotations

import pytest

from eval.metrics import (
    Span,
    citation_scores,
    key_fact_scores,
    locate,
    mean,
    percentile,
    refusal_scores,
    retrieval_scores,
)

TEXT = "Renault senkt seinen Anteil von 43% auf 15%.\nNissan  erhält „Stimmrechte“ – im Gegenzug."


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        ("seinen Anteil von 43%", (14, 35)),  # verbatim
        ("Nissan erhält", (45, 59)),  # double space in the text
        ('erhält "Stimmrechte" - im Gegenzug', (53, 87)),  # quotes and dash folded
        ("NISSAN ERHÄLT", (45, 59)),  # case folded
        ("15%. Nissan", (40, 51)),  # line break = space
        ("Toyota", None),
        ("   ", None),
    ],
)
def test_locate(passage: str, expected: tuple[int, int] | None) -> None:
    assert locate(TEXT, passage) == expected


A, B = "a.txt", "b.txt"


@pytest.mark.parametrize(
    ("hits", "passages", "want"),
    [
        # the supporting passage is covered by the first hit
        (
            [Span(A, 0, 100), Span(B, 0, 50)],
            [Span(A, 40, 60)],
            {"hit@1": 1, "hit@3": 1, "mrr": 1, "recall@1": 1, "recall@5": 1, "sources@5": 1},
        ),
        # right article first, but the passage only at rank 3
        (
            [Span(A, 0, 30), Span(B, 0, 50), Span(A, 50, 90)],
            [Span(A, 40, 60)],
            {"hit@1": 1, "mrr": 1, "recall@1": 0, "recall@3": 1},
        ),
        # expected article only at rank 2: MRR 1/2
        (
            [Span(B, 0, 50), Span(A, 0, 30)],
            [Span(A, 40, 60)],
            {"hit@1": 0, "hit@3": 1, "mrr": 0.5, "recall@5": 0},
        ),
        # touching spans do not overlap (end is exclusive)
        ([Span(A, 0, 40)], [Span(A, 40, 60)], {"recall@1": 0}),
        # same offsets in another article do not count
        ([Span(B, 40, 60)], [Span(A, 40, 60)], {"hit@5": 0, "mrr": 0, "recall@5": 0}),
        # two passages, one found; one passage could not be located (None) and counts as missed
        ([Span(A, 0, 100)], [Span(A, 10, 20), None], {"recall@1": 0.5}),
        ([], [Span(A, 0, 10)], {"hit@5": 0, "mrr": 0, "recall@5": 0}),
    ],
)
def test_retrieval_scores(hits: list[Span], passages: list[Span | None], want: dict[str, float]) -> None:
    got = retrieval_scores(hits, [A], passages)
    assert {k: got[k] for k in want} == pytest.approx(want)


def test_sources_at_k_counts_each_expected_article() -> None:
    got = retrieval_scores(
        [Span(A, 0, 9), Span(A, 10, 19), Span(B, 0, 9)], [A, B], [Span(A, 0, 5), Span(B, 0, 5)]
    )
    assert got["sources@1"] == 0.5
    assert got["sources@3"] == 1.0
    assert got["recall@1"] == 0.5


@pytest.mark.parametrize(
    ("answer", "facts", "complete", "share"),
    [
        ("Renault senkt den Anteil von 43% auf 15% [1].", [["43"], ["15"]], True, 1.0),
        ("Renault senkt den Anteil auf 15% [1].", [["43"], ["15"]], False, 0.5),
        (
            "Markets in North  America and Asia.",
            [["Nordamerika", "North America"], ["Asien", "Asia"]],
            True,
            1.0,
        ),
        ("NORDAMERIKA", [["nordamerika"]], True, 1.0),
        ("Die Quellen enthalten dazu keine Informationen.", [["Ampere"]], False, 0.0),
        ("anything", [], True, 1.0),
    ],
)
def test_key_fact_scores(answer: str, facts: list[list[str]], complete: bool, share: float) -> None:
    assert key_fact_scores(answer, facts) == (complete, share)


@pytest.mark.parametrize(
    ("cited", "want"),
    [
        ([Span(A, 30, 80)], {"precise": 1.0, "on_article": 1.0, "recall": 0.5}),
        ([Span(A, 30, 80), Span(A, 200, 300)], {"precise": 0.5, "on_article": 1.0, "recall": 0.5}),
        ([Span(A, 30, 80), Span(B, 0, 10)], {"precise": 0.5, "on_article": 0.5, "recall": 0.5}),
        ([Span(A, 30, 80), Span(A, 100, 120)], {"precise": 1.0, "on_article": 1.0, "recall": 1.0}),
        ([], {"precise": None, "on_article": None, "recall": 0.0}),
    ],
)
def test_citation_scores(cited: list[Span], want: dict[str, float | None]) -> None:
    assert citation_scores(cited, [Span(A, 40, 60), Span(A, 110, 115)], [A]) == want


@pytest.mark.parametrize(
    ("pairs", "precision", "recall", "false_rate"),
    [
        # perfect: refuses exactly the two unanswerable questions
        ([(True, True), (True, True), (False, False), (False, False)], 1.0, 1.0, 0.0),
        # refusing everything: full recall, but precision = share of unanswerable, every answerable refused
        ([(True, True), (False, True), (False, True), (False, True)], 0.25, 1.0, 1.0),
        # never refusing: no recall and (by definition) no precision
        ([(True, False), (False, False)], 0.0, 0.0, 0.0),
        # one right refusal, one wrong one, one missed
        ([(True, True), (True, False), (False, True), (False, False)], 0.5, 0.5, 0.5),
    ],
)
def test_refusal_scores(
    pairs: list[tuple[bool, bool]], precision: float, recall: float, false_rate: float
) -> None:
    got = refusal_scores(pairs)
    assert (got.precision, got.recall, got.false_refusal_rate) == pytest.approx(
        (precision, recall, false_rate)
    )


def test_refusal_scores_without_unanswerable_questions_are_not_measured() -> None:
    got = refusal_scores([(False, False), (False, True)])
    assert got.precision is None
    assert got.recall is None
    assert got.f1 is None
    assert got.false_refusal_rate == 0.5


def test_refusing_everything_scores_badly_on_f1() -> None:
    # the gold set's proportions: 16 unanswerable of 102
    everything = refusal_scores([(True, True)] * 16 + [(False, True)] * 86)
    assert everything.f1 is not None
    assert everything.f1 < 0.3


@pytest.mark.parametrize(
    ("values", "q", "want"),
    [
        ([5.0], 50, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 100.0], 95, 80.8),
        ([3.0, 1.0, 2.0], 0, 1.0),
        ([], 50, None),
    ],
)
def test_percentile(values: list[float], q: float, want: float | None) -> None:
    assert percentile(values, q) == (pytest.approx(want) if want is not None else None)


def test_mean_skips_unmeasured_values() -> None:
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None]) is None
