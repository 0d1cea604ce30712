"""Where a claim's numbers and names must stand: check 3 of assistant/verify.py (numbers, names and glossary words of
the claim in its cited evidence), the sentence a claim's numbers belong to, and the numbers that are part of a name."""

from __future__ import annotations

import re

from assistant.grounding import (
    ACRONYM,
    HYPHEN_NUMBER,
    NOUN_SHAPE,
    ROLE_NOUN,
    EvidenceText,
    checkable_names,
    common_noun_in,
    compound_grounded,
    derived_numbers,
    enumerated_count,
    evidence_text,
    glossary_words,
    name_in,
    number_words,
    numbers_in,
    token_in,
)
from assistant.lexicon import german_forms
from assistant.text import bm25_tokens, fold
from assistant.verify_context import VerificationContext

_UNIT_WORDS = frozenset({"prozent", "percent", "euro", "dollar", "jahr", "year", "million", "milliard", "mio", "mrd"})


def number_home(claim: str, local: list[tuple[int, int]], ctx: VerificationContext,
                 language: str) -> list[tuple[int, int]]:
    """Of the sentences a claim comes from (close in meaning), those that share at least half as many of its
    words as the one sharing most: where its numbers must stand. "Ghosn floh Ende 2018 in den Libanon" is as
    close in meaning to "Ghosn wurde 2018 in Tokio verhaftet" as to "Er floh Ende 2019 in den Libanon", but
    shares only the name with the first."""
    if len(local) < 2:
        return local
    words = {fold(t) for t in bm25_tokens(claim, language) if len(t) >= 3 and not numbers_in(t)}
    shared = [sum(token_in(w, evidence_text(ctx.units[n - 1].sentences[i])) for w in words) for n, i in local]
    best = max(shared)
    return [x for x, k in zip(local, shared, strict=True) if 2 * k >= best] if best else local


def grounding_problem(claim: str, ev: EvidenceText, cited: list[int], ctx: VerificationContext,
                      language: str) -> str | None:
    """Check 3 of assistant/verify.py's docstring: numbers, names and glossary words of the claim in the evidence;
    what is wrong, or None."""
    q = ctx.question
    asked = q.text if q else ""
    # a number is a claim even when the question holds it ("… auf null gesenkt?" presupposes it); a
    # difference or sum of two numbers of the source is a number of the source ("from 43% to 15%": 28 points)
    missing = (numbers_in(claim) | number_words(claim)) - ev.numbers
    missing -= derived_numbers(ev.numbers) | enumerated_count(claim)  # "four cities: A, B, C and D" counts them
    if missing:
        return f"number(s) {', '.join(sorted(missing))} not in the cited source"
    others = [u for n, u in enumerate(ctx.units, 1) if n not in cited]
    cited_docs = {ctx.units[n - 1].passage.doc_id for n in cited}
    tolerated = 1 if language != "en" and len(bm25_tokens(claim, language)) >= 7 else 0
    asked_folded = fold(asked)
    for name in checkable_names(claim, language):
        if name_in(name, ev) or compound_grounded(name, ev):
            continue
        from_question = fold(name) in asked_folded
        proper = language == "en" or ACRONYM.fullmatch(name) or not NOUN_SHAPE.search(name)
        elsewhere = [u for u in others if u.passage.doc_id not in cited_docs and name_in(name, u.evidence)]
        if proper and elsewhere and not (from_question and any(u.passage.doc_id in cited_docs for u in ctx.units)):
            return f"'{name}' appears in another source, not in the cited one"
        if from_question:
            continue  # repeating the question's subject ("General Motors", "EV strategy") claims nothing new
        if tolerated and not ACRONYM.fullmatch(name) and not ROLE_NOUN.search(name) and common_noun_in(claim, name):
            tolerated -= 1  # a long German sentence may paraphrase one noun (not name someone new)
            continue
        return f"'{name}' is not in the cited source"
    if language == "en":
        for word in glossary_words(claim):
            forms = german_forms(word)
            if not (token_in(fold(word), ev) or any(f in ev.folded for f in forms)):
                return f"'{word}' is not in the cited source"
    else:
        content = [w for w in bm25_tokens(claim, language) if not w.isdigit() and fold(w) not in _UNIT_WORDS]
        if len(content) >= 4 and any(u.passage.language == language for n in cited for u in [ctx.units[n - 1]]):
            found = sum(token_in(fold(w), ev) for w in content)
            if found < 0.4 * len(content):
                return f"most of its words are not in the cited source ({found} of {len(content)})"
    return None


def named_numbers(claim: str, known: str) -> set[str]:
    """The numbers of the names in ``claim`` that ``known`` (the question, the cited sources) uses as they stand: a
    name the answer repeats is no figure it states; "Brandwacht-2" where the sources say "Brandwacht-1" stays one."""
    low = known.lower()
    named = ((m, re.search(r"[\w-]*$", claim[: m.start()])) for m in HYPHEN_NUMBER.finditer(claim))
    return {m.group() for m, name in named if name and f"{name.group()}{m.group()}".lower() in low}
