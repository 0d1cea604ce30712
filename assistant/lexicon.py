"""Lookups in the English-German glossary (assistant/glossary.py): German forms, places, words naming facts."""

from __future__ import annotations

from functools import lru_cache

import Stemmer

from assistant.glossary import GLOSSARY
from assistant.text import fold


@lru_cache(maxsize=1)
def _groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [g for g, _ in _entries()]


@lru_cache(maxsize=1)
def _entries() -> list[tuple[tuple[tuple[str, ...], tuple[str, ...]], bool]]:
    entries = []
    for line in GLOSSARY.strip().splitlines():
        strict = line.lstrip("@").startswith("!")
        left, right = line.lstrip("@!").split("=")
        english = tuple(fold(w) for w in _phrases(left))
        german = tuple(fold(w) for w in right.split())
        entries.append(((english, german), strict))
    return entries


@lru_cache(maxsize=4096)
def is_strict(english: str) -> bool:
    """Whether an English word or phrase names a fact the source must contain (a ``!`` entry)."""
    w = _stem(english)
    return any(strict and any(w == _stem(e) for e in eng) for (eng, _), strict in _entries())


def _phrases(side: str) -> list[str]:
    """Words of one side; a two-word English term ('fuel cell') is kept as one phrase."""
    words = side.split()
    known_pairs = {"united states", "north american", "south american", "latin american", "united kingdom",
                   "per cent", "car manufacturer", "fuel cell", "lightweight construction", "sports car",
                   "interest rate", "chief executive", "price increase", "profit warning", "share price",
                   "stock exchange", "supervisory board", "motor show"}
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if pair in known_pairs:
            out.append(pair)
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


@lru_cache(maxsize=8192)
def german_forms(english: str) -> tuple[str, ...]:
    """German word beginnings (folded) for an English word or phrase (any inflection: 'arrested',
    'companies'); () when the glossary has none."""
    w = _stem(english)
    out: list[str] = []
    for eng, ger in _groups():
        if any(w == _stem(e) for e in eng):
            out += ger
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return " ".join(_english_stemmer().stemWords(fold(word).split()))


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _place_forms() -> tuple[str, ...]:
    lines = [line for line in GLOSSARY.strip().splitlines() if line.startswith("@")]
    return tuple(fold(w) for line in lines for side in line.lstrip("@!").split("=") for w in side.split())


def is_place(word: str) -> bool:
    """Whether a word names a country, nationality, region or city of the glossary, in either language
    ('chinesisches', 'Japanese', 'Tokio' is not in it: any capitalised name after 'in' counts elsewhere)."""
    w = fold(word)
    return len(w) >= 3 and any(w.startswith(f) for f in _place_forms() if len(f) >= 3)


def english_forms(german: str) -> tuple[str, ...]:
    """English word beginnings (folded) for a German word; () when the glossary has none."""
    w = fold(german)
    out: list[str] = []
    for eng, ger in _groups():
        if any(w.startswith(g) for g in ger if len(g) >= 3) or w in ger:
            out += eng
    return tuple(dict.fromkeys(out))


def german_words(english_text: str) -> list[str]:
    """German words for the English words and phrases of a text that the glossary knows (for searching German
    text with an English question); the glossary's word beginnings are used as words, unfolded."""
    words = [w.strip(".,;:!?\"'()") for w in english_text.lower().replace("-", " ").split()]
    keys = phrases_in(english_text) + [w for w in words if len(w) >= 3]
    out = [g for key in keys for eng, raw in _raw_groups() if any(_stem(key) == _stem(e) for e in eng) for g in raw]
    return list(dict.fromkeys(g for g in out if len(g) >= 4))


@lru_cache(maxsize=1)
def _raw_groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The glossary's groups with the German words as written (lower case, not spelling-folded)."""
    out = []
    for line in GLOSSARY.strip().splitlines():
        left, right = line.lstrip("@!").split("=")
        out.append((tuple(fold(w) for w in _phrases(left)), tuple(right.split())))
    return out


def phrases_in(text: str) -> list[str]:
    """The two-word English glossary phrases that occur in ``text`` (folded), e.g. 'fuel cell'."""
    t = fold(text)
    return [e for eng, _ in _groups() for e in eng if " " in e and e in t]

