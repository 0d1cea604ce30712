"""MinHash signatures and LSH band keys on real German article text (eval/corpus)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT
from eval.planted import ADDED, edit_text
from ingest.minhash import MinHasher, Signature, containment, jaccard, words

ELBTOR = (PROJECT_ROOT / "eval" / "corpus" / "a01_uebernahme-elbtor.md").read_text(encoding="utf-8").split("---")[2]
EU = (PROJECT_ROOT / "eval" / "corpus" / "a05_eu-auflagen-elbtor.md").read_text(encoding="utf-8").split("---")[2]
HASHER = MinHasher()


@pytest.mark.parametrize(("text", "expected"), [
    ("Die Übernahme, sagte er, sei «fair».", ["die", "ubernahme", "sagte", "er", "sei", "fair"]),
    ("ÄRGER über Straße", ["arger", "uber", "strase"]),
    ("2,1 Milliarden Euro", ["2", "1", "milliarden", "euro"]),
])
def test_words_ignore_case_umlauts_and_punctuation(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_identical_texts_agree_fully_and_layout_does_not_count() -> None:
    a = HASHER.signature(ELBTOR)
    b = HASHER.signature(ELBTOR.replace("\n\n", "\n").replace(" - ", " – "))
    assert jaccard(a, b) == 1.0 and containment(a, b) == 1.0


def test_signature_survives_encoding() -> None:
    sig = HASHER.signature(ELBTOR)
    back = Signature.decode(sig.encode(), sig.shingles)
    assert np.array_equal(back.values, sig.values) and back.shingles == sig.shingles


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.10, 0.15])
def test_edited_copies_stay_far_above_the_threshold(rate: float) -> None:
    edited, actual = edit_text(ELBTOR, rate, random.Random(7), ADDED)
    assert actual == pytest.approx(rate, abs=0.03)
    assert containment(HASHER.signature(ELBTOR), HASHER.signature(edited)) >= 0.6


def test_another_story_on_the_same_subject_is_far_below_it() -> None:
    """The EU ruling on the Elbtor takeover names the same companies but is another text."""
    assert containment(HASHER.signature(ELBTOR), HASHER.signature(EU)) < 0.15


def test_a_longer_version_contains_the_shorter_one() -> None:
    longer = ELBTOR + "\n\n" + EU  # an update that adds as much again
    a, b = HASHER.signature(ELBTOR), HASHER.signature(longer)
    assert jaccard(a, b) < 0.6
    assert containment(a, b) > 0.85


def test_band_keys_are_shared_by_copies_and_not_by_other_stories() -> None:
    keys = HASHER.band_keys(HASHER.signature(ELBTOR))
    copy, _ = edit_text(ELBTOR, 0.1, random.Random(3), ADDED)
    assert len(keys) == HASHER.bands
    assert np.any(keys == HASHER.band_keys(HASHER.signature(copy)))
    assert not np.any(keys == HASHER.band_keys(HASHER.signature(EU)))


def test_empty_text_has_an_empty_signature() -> None:
    sig = HASHER.signature("")
    assert sig.shingles == 0 and containment(sig, HASHER.signature(ELBTOR)) == 0.0


def test_bands_must_fit_the_permutations() -> None:
    with pytest.raises(ValueError, match="permutations"):
        MinHasher(num_perm=32, bands=32, rows=2)
