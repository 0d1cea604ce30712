"""Loading gold questions, choosing the ones the LLM answers, and the follow-up retrieval query."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.errors import InputError
from eval.questions import Question, load_questions, select
from tests.eval.conftest import CORPORA, CORPUS, GOLD


@pytest.fixture(scope="module")
def gold() -> list[Question]:
    return load_questions(GOLD, CORPORA)


def test_limit_spreads_over_types_and_languages(gold: list[Question]) -> None:
    picked = select(gold, limit=12)
    assert len(picked) == 12
    groups = {(q.type, q.language) for q in gold}
    assert len({(q.type, q.language) for q in picked}) == 12  # one from each group before any repeats
    assert len(groups) >= 12
    assert Counter(q.language for q in picked) == {"de": 6, "en": 6}
    order = [q.id for q in gold]
    assert [q.id for q in picked] == sorted((q.id for q in picked), key=order.index)  # file order kept


@pytest.mark.parametrize(
    ("limit", "only", "want"),
    [
        (None, (), "all"),
        (5000, (), "all"),
        (1, (), 1),
        (None, ("de-fu-01", "en-fact-01"), 2),
        (1, ("de-fu-01", "en-fact-01"), 1),
    ],
)
def test_select_sizes(gold: list[Question], limit: int | None, only: tuple[str, ...], want: int | str) -> None:
    assert len(select(gold, limit, only)) == (len(gold) if want == "all" else want)


def test_a_split_keeps_only_its_questions() -> None:
    dev, test = load_questions(GOLD, CORPORA, "dev"), load_questions(GOLD, CORPORA, "test")
    assert dev and test and {q.split for q in dev} == {"dev"} and {q.split for q in test} == {"test"}
    assert not {q.id for q in dev} & {q.id for q in test}
    assert len(dev) + len(test) == len(load_questions(GOLD, CORPORA))


def test_unknown_id_is_an_input_error(gold: list[Question]) -> None:
    with pytest.raises(InputError, match="unknown question id"):
        select(gold, only=["nope"])


def test_followup_retrieval_query_prepends_the_last_user_turn(gold: list[Question]) -> None:
    q = next(q for q in gold if q.id == "de-fu-01")
    assert q.retrieval_query == "Wann wurde Carlos Ghosn verhaftet? Und wohin floh er?"
    plain = next(q for q in gold if q.id == "de-fact-01")
    assert plain.retrieval_query == plain.question
    assert [t.role for t in q.turns] == ["user", "assistant"]


def test_content_hash_changes_with_the_question(gold: list[Question]) -> None:
    q = gold[0]
    changed = Question(**{**q.__dict__, "key_facts": [["other"]]})
    assert changed.content_hash != q.content_hash


def test_an_invalid_gold_file_is_refused_with_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="missing required field 'question'"):
        load_questions(bad, [CORPUS])
