"""Checks every answer sentence against the passages it cites; unsupported sentences are dropped.

A sentence is kept only if it cites at least one valid source, every number in it occurs in a cited
passage, every name in it (acronyms in any language; capitalised words in English) occurs in a cited
passage or the question (spelling-folded, so Tokyo matches Tokio and North America nordamerikanisch)
and not only in an uncited source, and it is close in meaning to some sentence of a cited passage
(multilingual embeddings, so an English sentence can match German text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from assistant.citations import (
    markers,
    mask_instructions,
    normalise_markers,
    split_valid,
    strip_markers,
)
from assistant.embeddings import VectorEmbedding
from assistant.models import Passage
from assistant.text import sentence_spans, split_sentences

_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?(?![\w])")  # "1st" is checked as 1
# Names whose presence in a sentence can be checked: acronyms and model names (BMW, QX80, e-Power) in any
# language; in English also every capitalised word (German capitalises all nouns, so not there).
_ACRONYM = re.compile(r"(?<![\w-])(?:[A-ZÄÖÜ]{2,}\w*|[a-z]{1,2}-[A-Z]\w*|[A-Z][\w-]*\d[\w-]*)\b")
_CAPITALISED = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]{2,}\b")


@dataclass(frozen=True)
class Unsupported:
    """A sentence that was dropped, and why."""

    sentence: str
    reason: str


@dataclass
class Verification:
    """What survived checking, and what did not."""

    text: str
    kept: list[str] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    refused: bool = False
    similarities: list[float] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


def numbers_in(text: str) -> set[str]:
    """Numbers as digit strings: '43%' -> '43', '1.500' and '1,500' -> '1500', '2,5' -> '2.5'."""
    out = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(1)
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
            out.add(re.sub(r"[.,]", "", raw))
        else:
            out.add(raw.replace(",", "."))
    return out


# A sentence saying that the sources do not hold something is a refusal, whatever its wording:
# "Die Quellen [1] und [2] geben keine Informationen über den Preis." is not a claim to keep and cite.
_NO_INFO = re.compile(
    r"\b(?:quellen?|artikeln?|texte?n?|passagen?|sources?|articles?|texts?|passages?)\b[^.!?]{0,80}"
    r"(?:\b(?:keine?n?|nicht|nichts)\b[^.!?]{0,60}\b(?:informationen?|angaben?|hinweise?|auskunft|erwähn\w*"
    r"|genannt|angegeben|enthalten|aussagen?)"
    r"|\b(?:do(?:es)?\s+not|don't|doesn't|no|neither|nor)\b[^.!?]{0,60}\b(?:information|mention\w*|say|says|state"
    r"|contain|provide|specify|specified|details?|data))\b"
    r"|^\W*(?:es\s+gibt\s+)?keine\s+(?:informationen|angaben)\b|^\W*(?:there\s+is\s+)?no\s+information\b",
    re.IGNORECASE,
)


def is_refusal(sentence: str, refusal: str) -> bool:
    """Whether a sentence is the prompt's "not in the sources" reply or says the same in other words."""
    def norm(s: str) -> str:
        return re.sub(r"[^\w ]", "", strip_markers(s).lower()).strip()

    a, b = norm(sentence), norm(refusal)
    if not a:
        return False
    return a == b or a.startswith(b[: max(20, len(b) - 10)]) or bool(_NO_INFO.search(strip_markers(sentence)))


class Verifier:
    """Judges answer sentences against cited passages (see module docstring)."""

    def __init__(self, embedder: VectorEmbedding, min_similarity: float) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity

    def verify(self, answer: str, sources: list[Passage], refusal: str, language: str = "de",
               question: str = "") -> Verification:
        text = normalise_markers(answer).strip()
        sentences = _attach_orphan_markers(split_sentences(text))
        result = Verification(text="")
        claims: list[tuple[str, list[int]]] = []
        for i, s in enumerate(sentences):
            if is_refusal(s, refusal):
                result.refused = True
                continue
            if i == len(sentences) - 1 and not re.search(r"[.!?…\"'»“”)\]]\s*$", s):
                # no closing punctuation or marker: the generation was cut off (token or time limit)
                result.unsupported.append(Unsupported(strip_markers(s), "incomplete sentence (generation was cut off)"))
                continue
            valid, invalid = split_valid(markers(s), len(sources))
            clean = _drop_markers(s, invalid)
            if not valid and not invalid:
                found = self._supporting_source(clean, sources, language, question)
                if found is not None:  # the model forgot the marker; the verifier found the one source that holds it
                    clean = _add_marker(clean, found)
                    valid = [found]
                    result.repaired.append(strip_markers(clean))
            if not valid:
                listed = ", ".join(map(str, invalid))
                reason = f"cites [{listed}], which is not a source" if invalid else "cites no source"
                result.unsupported.append(Unsupported(strip_markers(s), reason))
                continue
            reason = self._fact_problem(clean, valid, sources, language, question)
            if reason:
                found = self._supporting_source(clean, sources, language, question)
                if found is None:
                    result.unsupported.append(Unsupported(strip_markers(clean), reason))
                    continue
                clean = _add_marker(strip_markers(clean), found)  # the model cited the wrong source
                valid = [found]
                result.repaired.append(strip_markers(clean))
            claims.append((clean, valid))
        sims = self._similarities([strip_markers(c) for c, _ in claims], [v for _, v in claims], sources)
        for (clean, valid), sim in zip(claims, sims, strict=True):
            result.similarities.append(sim)
            if sim < self.min_similarity:
                result.unsupported.append(
                    Unsupported(strip_markers(clean), f"not close enough in meaning to the cited source ({sim:.2f})")
                )
                continue
            result.kept.append(clean)
            result.cited += [n for n in valid if n not in result.cited]
        result.text = " ".join(result.kept)
        return result

    def _supporting_source(self, sentence: str, sources: list[Passage], language: str, question: str) -> int | None:
        """The source that supports an uncited sentence on every check, best first; None if none does."""
        if len(strip_markers(sentence).split()) < 4 or not sources:
            return None  # fragments ("HACKED") never get a citation they did not ask for
        candidates = [n for n in range(1, len(sources) + 1)
                      if self._fact_problem(sentence, [n], sources, language, question) is None]
        if not candidates:
            return None
        claim = strip_markers(sentence)
        sims = self._similarities([claim] * len(candidates), [[n] for n in candidates], sources)
        best_sim, best = max(zip(sims, candidates, strict=True))
        return best if best_sim >= self.min_similarity else None

    def _fact_problem(self, sentence: str, cited: list[int], sources: list[Passage], language: str,
                      question: str) -> str | None:
        claim = strip_markers(sentence)
        cited_text = " ".join(f"{sources[n - 1].title} {sources[n - 1].text}" for n in cited)
        missing = numbers_in(claim) - numbers_in(cited_text)
        if missing:
            return f"number(s) {', '.join(sorted(missing))} not in the cited source"
        others = " ".join(p.text for i, p in enumerate(sources, 1) if i not in cited).lower()
        cited_lower = cited_text.lower()
        names = list(_ACRONYM.finditer(claim))
        if language == "en":
            names += [m for m in _CAPITALISED.finditer(claim) if m.start() > 0]
        asked = question.lower()
        cited_tokens = {_fold(t) for t in re.findall(r"[\w]+", cited_lower)}
        for m in names:
            name = m.group().lower()
            if name in asked:  # repeating the question's own words is not a claim about a source
                continue
            if name not in cited_lower and re.search(rf"\b{re.escape(name)}", others):
                return f"'{m.group()}' appears in another source, not in the cited one"
            if not _name_in(_fold(name), cited_tokens):
                return f"'{m.group()}' is not in the cited source"
        return None

    def _similarities(self, claims: list[str], cited: list[list[int]], sources: list[Passage]) -> list[float]:
        if not claims:
            return []
        needed = sorted({n for ns in cited for n in ns})
        units: list[str] = []
        owner: list[int] = []
        for n in needed:
            p = sources[n - 1]
            text = mask_instructions(p.text, mask="")  # repeating an injected instruction supports nothing
            pieces = [text] + [text[s:e] for s, e in sentence_spans(text)]
            units += pieces
            owner += [n] * len(pieces)
        vecs = self.embedder.similarity_vectors(claims + units)
        claim_vecs, unit_vecs = vecs[: len(claims)], vecs[len(claims):]
        sims = claim_vecs @ unit_vecs.T
        owner_arr = np.asarray(owner)
        return [float(sims[i][np.isin(owner_arr, ns)].max()) for i, ns in enumerate(cited)]


def _fold(word: str) -> str:
    """Spelling-fold a name so that English and German forms meet: Tokyo/Tokio, America/Amerika, North/Nord."""
    w = word.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")
    for a, b in (("th", "d"), ("ph", "f"), ("c", "k"), ("y", "i"), ("z", "s")):
        w = w.replace(a, b)
    return w


def _name_in(name: str, tokens: set[str]) -> bool:
    """Whether a (folded) name occurs in a cited text: as a token, inside a compound, or as a close variant."""
    if name in tokens or any(name in t for t in tokens if len(name) >= 3):
        return True
    return any(SequenceMatcher(None, name, t[: len(name)]).ratio() >= 0.8 for t in tokens if len(t) >= 3)


def _attach_orphan_markers(sentences: list[str]) -> list[str]:
    """'... arbeiten. [1]' splits into a sentence and a lone '[1]': give the marker back to its sentence."""
    out: list[str] = []
    for s in sentences:
        if out and not strip_markers(s) and markers(s):
            out[-1] = out[-1] + " " + s
        else:
            out.append(s)
    return out


def _add_marker(sentence: str, n: int) -> str:
    m = re.search(r"[.!?…]+[\"'»«“”)]*$", sentence)
    return f"{sentence[: m.start()]} [{n}]{sentence[m.start():]}" if m else f"{sentence} [{n}]"


def _drop_markers(sentence: str, numbers: list[int]) -> str:
    for n in numbers:
        sentence = re.sub(rf"\s*\[{n}\]", "", sentence)
    return sentence.strip()
