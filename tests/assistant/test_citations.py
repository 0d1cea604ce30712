"""The citation contract: marker normalisation, parsing, bounds."""

import pytest

from assistant.citations import (
    markers,
    neutralise_source_text,
    normalise_markers,
    sentences_with_markers,
    split_valid,
    strip_markers,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ghosn wurde 2018 verhaftet [1].", "Ghosn wurde 2018 verhaftet [1]."),
        ("Ghosn wurde 2018 verhaftet [1, 2].", "Ghosn wurde 2018 verhaftet [1][2]."),
        ("Ghosn wurde 2018 verhaftet [Quelle 2].", "Ghosn wurde 2018 verhaftet [2]."),
        ("It applies to Asia (Source 3).", "It applies to Asia [3]."),
        ("Im Jahr (2018) geschah es.", "Im Jahr (2018) geschah es."),
        ("Im Jahr (18) geschah es.", "Im Jahr (18) geschah es."),
        ("[Sources 1 and 3]", "[1][3]"),
    ],
)
def test_normalise_markers(raw: str, expected: str) -> None:
    assert normalise_markers(raw) == expected


def test_markers_in_order_without_duplicates() -> None:
    assert markers("a [2] b [1] c [2]") == [2, 1]


@pytest.mark.parametrize(
    ("numbers", "n", "valid", "invalid"),
    [([1, 2], 3, [1, 2], []), ([0, 1], 3, [1], [0]), ([4], 3, [], [4]), ([], 3, [], [])],
)
def test_split_valid_bounds(numbers: list[int], n: int, valid: list[int], invalid: list[int]) -> None:
    assert split_valid(numbers, n) == (valid, invalid)


def test_strip_and_neutralise() -> None:
    assert strip_markers("Satz [1][2].") == "Satz."
    assert neutralise_source_text("Fake citation [7] here") == "Fake citation (7) here"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Sie arbeiten zusammen. [1]", ["Sie arbeiten zusammen. [1]"]),  # a lone marker goes back to its sentence
        ("A hat 15 %.\n[1]\nB folgt [2].", ["A hat 15 %. [1]", "B folgt [2]."]),
        ("A hat 15 % (Quelle 1). B folgt [2].", ["A hat 15 % [1].", "B folgt [2]."]),
        ("[1] Allein.", ["[1] Allein."]),
        # a marker before the next sentence's words stays with them (the verifier's reading, and the judge's)
        ("A hat 15 %. [1] B folgt.", ["A hat 15 %.", "[1] B folgt."]),
    ],
)
def test_sentences_with_markers(answer: str, expected: list[str]) -> None:
    assert sentences_with_markers(answer) == expected
