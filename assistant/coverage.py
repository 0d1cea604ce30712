"""The share of a question's content words a sentence holds, each word weighted by its rarity: the lexical half of
the evidence picker's score (assistant/evidence.py) and of the verifier's "about the question" checks."""

from __future__ import annotations

import math

from assistant.dictionary import Dictionary
from assistant.lexicon import german_forms
from assistant.questions import QuestionInfo
from assistant.text import bm25_tokens, fold


def lexical_coverage(info: QuestionInfo, sentences: list[str], weighted: bool = True,
                     dictionary: Dictionary | None = None) -> list[float]:
    """Per sentence, the share of the question's content words it contains, each word weighted by its
    rarity among these sentences (a word in every sentence tells nothing apart). Words match as stems,
    or as spelling-folded prefixes of five letters or more, so compounds (Leichtbau/Leichtbauteile) and
    cognates across German and English (cooperate/kooperieren, strategy/Strategie) count; an English word also
    matches the German words the glossary or the ``dictionary`` gives for it (parliament/Landtag)."""
    if not info.focus:
        return [0.0] * len(sentences)
    token_sets = [{fold(t) for t in bm25_tokens(s, "de") + bm25_tokens(s, "en")} for s in sentences]
    focus = {fold(t) for t in info.focus}
    # an English question word also matches its German forms from the glossary ("finance" -> "Finanz…") and the
    # dictionary ("first" -> "erstmals")
    forms = {f: (german_forms(f) + (dictionary.forms(f) if dictionary else ())) if info.language == "en" else ()
             for f in focus}
    present = [{f for f in focus if _matches(f, ts) or any(_matches(g, ts) for g in forms[f])}
               for ts in token_sets]
    # a hyphenated compound and its parts are one word of the question, there when the compound or its head is
    # ("Der Satellit …" for "der Bremer Waldbrand-Satellit"): three words would outweigh the question's others. A
    # short head names no thing of its own ("Rot-Rot-Grün" is a coalition, not something "grün")
    for compound in [f for f in focus if "-" in f and len(f.rsplit("-", 1)[-1]) >= 5]:
        parts = [p for p in compound.split("-") if p in focus]
        focus -= set(parts)
        present = [(p - set(parts)) | ({compound} if compound in p or (parts and parts[-1] in p) else set())
                   for p in present]
    n = len(sentences)
    if not weighted:  # the plain share of the question's words
        return [len(p) / len(focus) for p in present]
    weights = {f: math.log(1 + n / (1 + sum(f in p for p in present))) for f in focus}
    total = sum(weights.values()) or 1.0
    return [sum(weights[f] for f in p) / total for p in present]


def _matches(word: str, tokens: set[str]) -> bool:
    if word in tokens:
        return True
    if len(word) < 5:
        return False
    return any(t.startswith(word) or (len(t) >= 5 and word.startswith(t)) for t in tokens)
