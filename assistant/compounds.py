"""Sibling compounds: a German sentence about "Privatkunden" does not answer a question about "Firmenkunden".

German names a kind of thing by a compound: modifier + head ("Firmen|kunden", "Bildungs|minister",
"Heim|spiel"). A sentence that lacks the question's compound but has another one with the same head and another
modifier ("Privat|kunden", "Sozial|ministerin", "Auswärts|spiel") speaks of a sibling kind: a number or a name
taken from it answers another question (a near miss: "Wie viele Firmenkunden müssen zahlen?" against "Betroffen
sind rund 1400 der etwa 96.000 Privatkunden."). The head and both modifiers must be German words of the dictionary
(assistant/dictionary.py), so that a shared ending ("-ierung", "-ungen") is no head, and modifiers the dictionary
translates alike are one kind ("Krankenhaus-" / "Klinikstandorte": hospital); without the dictionary nothing is
found.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import Stemmer

from assistant.dictionary import Dictionary
from assistant.text import fold

_NOUN = re.compile(r"(?<![\w-])[A-ZÄÖÜ][\wäöüß]+(?:-[\wäöüß]+)*")
_STEM = Stemmer.Stemmer("german")
_FEMININE = re.compile(r"(?<=[a-zß]{4})(?:in|innen)$")  # "Ministerin", "Ministerinnen": the head is "Minister"
_MIN_HEAD, _MIN_MODIFIER, _MIN_WORD = 4, 3, 8


def _stem(word: str) -> str:
    return fold(_STEM.stemWord(_FEMININE.sub("", word.lower().replace("-", ""))))


def _bare(modifier: str) -> set[str]:
    """A modifier with and without a linking element ("krankenhaus", "firmen" -> "firm", "bildungs")."""
    return {m for m in (modifier, modifier[:-1], modifier[:-2]) if len(m) >= _MIN_MODIFIER}


def _nouns(text: str) -> dict[str, str]:
    """Stem -> the noun as written, for the capitalised words of ``text`` long enough to be compounds."""
    return {_stem(w): w for w in _NOUN.findall(text) if len(w.replace("-", "")) >= _MIN_WORD}


def _head(a: str, b: str, is_word: Callable[[str], bool]) -> str | None:
    """The shared ending of two stems that is a word (their whole shared ending, or the word that ends it:
    "seehaf" of "ostseehaf" / "nordseehaf"), when both keep a modifier of their own before it; None when one
    stem ends the other ("Führungskräfte" in "Nissan-Führungskräfte": a broader word, no sibling)."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    if len(a) - n < _MIN_MODIFIER or len(b) - n < _MIN_MODIFIER:
        return None
    return next((a[-size:] for size in range(n, _MIN_HEAD - 1, -1) if is_word(a[-size:])), None)


def sibling_compounds(question: str, sentence: str, is_word: Callable[[str], bool],
                      synonyms: Callable[[str, str], bool] = lambda a, b: False) -> list[tuple[str, str]]:
    """(asked, stated) pairs: a compound of the question the sentence lacks, and the sentence's compound with
    the same head and another modifier. A sentence that also has the asked modifier as a word of its own ("für
    Firmen- und Privatkunden", "Firmen und Privatkunden") speaks of both."""
    said = [_stem(w) for w in re.findall(r"[\wäöüß]+", sentence)]
    truncated = [_stem(m.group(1)) for m in re.finditer(r"([\wäöüß]+)-\s+(?:und|oder|sowie)\s", sentence)]
    stated = _nouns(sentence)
    out = []
    for asked, written in _nouns(question).items():
        if any(asked in s for s in stated):
            continue  # the sentence has the compound (or a longer one: "Firmenkundengeschäft")
        for other, as_written in stated.items():
            head = _head(asked, other, is_word)
            if head is None:
                continue
            modifier = asked[: -len(head)]
            mine, theirs = _bare(modifier), _bare(other[: -len(head)])
            if not all(any(is_word(m) for m in forms) for forms in (mine, theirs)):
                continue  # a modifier that is no word makes a name ("Salzstadt-Marathon"), not a kind
            if any(synonyms(a, b) for a in mine for b in theirs):
                continue  # "Krankenhausstandorte" / "Klinikstandorte": one kind in other words
            if any(len(w) >= _MIN_HEAD and (modifier.startswith(w) or w.startswith(modifier.rstrip("s")))
                   for w in said + truncated):
                continue  # the sentence names the asked kind too ("Firmen- und Privatkunden")
            out.append((written, as_written))
            break
    return out


def german_siblings(question: str, question_language: str, sentence: str, sentence_language: str,
                    dictionary: Dictionary | None) -> list[tuple[str, str]]:
    """``sibling_compounds`` for a German question and a German sentence, with the dictionary's German words;
    nothing otherwise (an English question names no German compound; without the dictionary no head is known)."""
    if dictionary is None or question_language != "de" or sentence_language != "de":
        return []
    return sibling_compounds(question, sentence, dictionary.is_german_word, dictionary.synonyms)
