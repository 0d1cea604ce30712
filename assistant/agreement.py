"""Whether a claim agrees with its evidence sentence: each number in the same relation, no negation dropped or added."""

from __future__ import annotations

import re

from assistant.grounding import EvidenceText, numbers_in, token_in
from assistant.text import bm25_tokens, fold, split_sentences

_NEGATION = re.compile(
    r"(?:\b(?:nicht|kein\w*|nie|niemals|weder|noch\s+nicht|nichts|ohne|not|no(?!\.\s*\d)|never|neither|nor|none"
    r"|without|lehnt\w*(?:\s+\w+){0,4}\s+ab|abgelehnt|ruled?\s+out|rules\s+out|refus\w+|declin\w+)"
    r"|\b\w+n['’]t)\b", re.IGNORECASE)  # "won't", "doesn’t": no word boundary before the "n't"
_CONTRAST = re.compile(r",?\s\b(?:aber|sondern|jedoch|doch|während|but|whereas|while|however)\b", re.IGNORECASE)
_RELATIVE = re.compile(r"[,;:–]\s*(?:das|die|der|dem|den|deren|dessen|welche\w*|which|who|whom|that|where|wo)\b",
                       re.IGNORECASE)
_GOVERNED = re.compile(r"\bzu\s+\w+|\bdass\b|\bto\s+\w+|\bthat\b", re.IGNORECASE)
_NOT_ONLY = re.compile(r"\b(?:nicht\s+nur|not\s+only|nicht\s+zuletzt)\b", re.IGNORECASE)
_PREP_BEFORE_NUMBER = re.compile(r"\b(um|auf|von|bis|by|to|from|until)\s+(?:rund\s+|etwa\s+|about\s+|around\s+)?"
                                 r"(\d+(?:[.,]\d+)*)", re.IGNORECASE)
_PREP_CLASS = {"um": "by", "by": "by", "auf": "to", "to": "to", "bis": "to", "until": "to", "von": "from",
               "from": "from"}


def disagreement(claim: str, language: str, local: str, local_language: str) -> str | None:
    """Check 4 of assistant/verify.py: the numbers' relations and the polarity agree with the evidence sentence
    it comes from (the reason when they do not, else None)."""
    source = {n: _PREP_CLASS[p.lower()] for p, n in ((m.group(1), _norm_number(m.group(2)))
                                                     for m in _PREP_BEFORE_NUMBER.finditer(local))}
    for m in _PREP_BEFORE_NUMBER.finditer(claim):
        n, prep = _norm_number(m.group(2)), _PREP_CLASS[m.group(1).lower()]
        if n in source and source[n] != prep and "from" not in (prep, source[n]) or \
                n in source and {prep, source[n]} == {"by", "from"}:
            return f"states {m.group(0)!r} where the source has another relation to {m.group(2)}"
    claim_neg = _negated_clauses(claim, language)
    local_neg = _negated_clauses(local, local_language)
    claim_tokens = {fold(t) for t in bm25_tokens(claim, language)}
    local_tokens = {fold(t) for t in bm25_tokens(local, local_language)}
    # counted both ways: across languages a German compound ("e-Power-Hybridtechnologie") holds several of
    # the claim's words, or the glossary finds them only from one side
    if not claim_neg and any(_about(max(_overlap(c, claim_tokens), _overlap(claim_tokens, c)), c, claim_tokens)
                             for c in local_neg):
        return "leaves out a negation of the source (the source says the opposite)"
    if claim_neg and not local_neg and any(_about(_overlap(c, local_tokens), c, local_tokens) for c in claim_neg):
        return "adds a negation the source does not have"
    return None


def _about(shared: int, scope: set[str], other: set[str]) -> bool:
    """Whether a negated scope and a text are about the same thing: at least two shared words, and half
    of the smaller of the two."""
    return shared >= 2 and shared >= 0.5 * min(len(scope), len(other))


def _negated_clauses(text: str, language: str) -> list[set[str]]:
    """The content tokens of what each negation covers: from the start of its clause to the next contrast
    ("aber", "sondern", "but") or the end of the sentence ("nicht nur … sondern auch" and "not only" are
    no negation)."""
    out = []
    for sentence in split_sentences(_NOT_ONLY.sub(" ", text)):
        for m in _NEGATION.finditer(sentence):
            start = max((sentence.rfind(c, 0, m.start()) for c in ",;:–"), default=-1) + 1
            stop = _CONTRAST.search(sentence, m.end())
            end = stop.start() if stop else len(sentence)
            # the clause, and the clauses after it that it governs ("keine Pläne, X zu tun", "nicht, dass …")
            pieces = re.split(r"(?=[,;:–])", sentence[m.end(): end])
            scope = sentence[start: m.end()] + pieces[0]
            for piece in pieces[1:]:
                if _RELATIVE.match(piece) or not _GOVERNED.search(piece):
                    break
                scope += piece
            out.append({fold(t) for t in bm25_tokens(scope, language)})
    return out


def _overlap(tokens: set[str], scope: set[str]) -> int:
    """How many of ``tokens`` occur in ``scope``, also as a prefix or through the glossary."""
    ev = EvidenceText(" ".join(scope), " ".join(scope), " ".join(scope), frozenset(scope), frozenset())
    return sum(token_in(t, ev) for t in tokens if len(t) >= 3)


def _norm_number(raw: str) -> str:
    return next(iter(numbers_in(raw)), raw)

