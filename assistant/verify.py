"""Checks every answer sentence against the evidence it cites; a sentence that fails any check is dropped.

A sentence is kept only when all of these hold (the first that fails is the recorded reason):

1. it cites at least one valid source (a forgotten or wrong marker is repaired only when exactly one
   source passes every check);
2. it is not garbled (the same name twice in a row, a repeated phrase or word);
3. it is grounded in the cited evidence: every number (also written as a word), every name (acronyms and
   model names in any language, capitalised words in English, capitalised words in German except a few
   generic nouns) and every English word the glossary can map to German (fuel cell/Brennstoffzelle,
   convicted/verurteilt) occurs there - spelling-folded (Tokyo/Tokio), as a compound part (V6/V6-Basis) or
   a close spelling; a name only an uncited source holds means a wrong citation. In the sources' own
   language at least half of its content words occur there too;
4. it agrees with the evidence sentence it comes from (the cited sentence closest in meaning): its
   numbers stand in the same relation ("um 15 %" is not "auf 15 %"), and it does not drop or add a
   negation ("keine Pläne" is not "plans");
5. it answers the question: it states an item of the kind asked for (a date for "when", a number for "how
   many", a reason for "why", something beyond the question's own words otherwise) taken from that
   evidence sentence, and that sentence is about the question (ranked close to the best one), not a
   neighbouring fact of the same article;
6. it is close in meaning to the cited evidence (multilingual embeddings; the bar is lower across
   languages, and a short answer that passed 3-5 - "Xiaomi [1]." - needs no sentence to compare).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from assistant.citations import markers, mask_instructions, normalise_markers, split_valid, strip_markers
from assistant.embeddings import VectorEmbedding
from assistant.evidence import lexical_coverage, refers_back
from assistant.lexicon import german_forms, is_place, is_strict, phrases_in
from assistant.models import Passage, SentenceCheck
from assistant.questions import QuestionInfo
from assistant.text import bm25_tokens, fold, sentence_spans, split_sentences

_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?(?![\w])")  # "1st" is checked as 1
_NUMBER_WORDS = {
    "null": "0", "zero": "0", "zwei": "2", "two": "2", "drei": "3", "three": "3", "vier": "4", "four": "4",
    "fünf": "5", "five": "5", "sechs": "6", "six": "6", "sieben": "7", "seven": "7", "acht": "8",
    "eight": "8", "neun": "9", "nine": "9", "zehn": "10", "ten": "10", "elf": "11", "eleven": "11",
    "zwölf": "12", "twelve": "12", "zwanzig": "20", "twenty": "20", "hundert": "100", "hundred": "100",
    "tausend": "1000", "thousand": "1000", "dreißig": "30", "thirty": "30", "vierzig": "40", "forty": "40",
    "fünfzig": "50", "fifty": "50", "sechzig": "60", "sixty": "60", "siebzig": "70", "seventy": "70",
    "achtzig": "80", "eighty": "80", "neunzig": "90", "ninety": "90",
}
_LOOSE_NUMBER_WORDS = {"beide": "2", "beiden": "2", "both": "2"}  # count when a source says them
_ORDINALS = {"erst": "1", "first": "1", "zweit": "2", "second": "2", "dritt": "3", "third": "3",
             "viert": "4", "fourth": "4", "fünft": "5", "fifth": "5", "sechst": "6", "sixth": "6"}
_UNITS = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
_TENS = {"zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70,
         "achtzig": 80, "neunzig": 90}
_COMPOUND = re.compile(rf"\b({'|'.join(_UNITS)})und({'|'.join(_TENS)})\b")
# Names whose presence can be checked: acronyms and model names (BMW, QX80, e-Power, i3) in any language.
_ACRONYM = re.compile(r"(?<![\w-])(?:[A-ZÄÖÜ]{2,}\w*|[a-z]{1,2}-[A-Z]\w*|[A-Z][\w-]*\d[\w-]*|[a-z]{1,2}\d+\w*)\b")
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß]{2,}(?:['’]s)?(?:-[A-ZÄÖÜ]?[\wäöüß]+)*\b")
_MONTHS = (r"januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
           r"|january|february|march|may|june|july|october|december")
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|frühjahr|frühling|sommer|herbst|winter|spring|summer|autumn"
    r"|quartal\w*|quarter\w*|woche\w*|week\w*|monat\w*|month\w*|jahr\w*|year\w*|jahrhundert\w*|century"
    r"|gestern|heute|morgen|yesterday|today|tomorrow"
    # "Ende 2019", "Mitte des Jahres", "seit März", "late 2019": a qualifier only counts with its time
    r"|(?:vergangene[nmrs]?|letzte[nmrs]?|nächste[nmrs]?|kommende[nmrs]?|last|next|ende|anfang|mitte|beginning"
    r"|end|middle|early|late|seit|since|bis|until|by)\s+(?:(?:des|der|dem|den|of|the|this|diese[nmrs]?)\s+)?"
    r"(?:\d{4}|\w*(?:jahr|monat|woche|quartal|year|month|week|quarter)\w*|" + _MONTHS + r"))\b",
    re.IGNORECASE)
# "in Tokio", "nach Paris", "in den Libanon", "at the Paris motor show": where a place is named
_LOCATIVE = re.compile(r"\b(?i:in|im|nach|aus|bei|an|am|vor|at|to|from|near|into|auf)\s+(?i:den|dem|der|die|das|the)?"
                       r"\s*([A-ZÄÖÜ][\wäöüß-]+)")
# German common nouns by their endings ("Herstellern", "Lieferungen"): not the name a "wer" question wants
_NOUN_SHAPE = re.compile(r"(?:ung|ungen|heit|keit|schaft|tion|tionen|ität|ern|ismus|nis|tum|ment|enz|ie|ien)$")
_YEAR = re.compile(r"(?<![\d.,])(?:1[89]\d\d|20\d\d)(?![\d])")
_ENGLISH_COMMON_STARTS = frozenset([
    "according", "after", "although", "as", "at", "because", "before", "both", "but", "by", "during", "for",
    "from", "further", "however", "if", "in", "it", "its", "on", "one", "since", "so", "that", "the", "their",
    "there", "these", "they", "this", "though", "to", "under", "until", "when", "whereas", "while", "with",
    "yes", "no", "not", "only", "also", "he", "she", "we", "an", "a", "all", "among", "two", "three"])
_GERMAN_COMMON_STARTS = frozenset([
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "im", "in", "am", "an", "auf", "aus", "bei",
    "laut", "nach", "seit", "mit", "von", "vor", "zum", "zur", "er", "sie", "es", "wir", "ja", "nein", "nur",
    "auch", "dort", "dies", "diese", "dieser", "beide", "beiden", "zwei", "drei", "wegen", "weil", "um", "bis"])
# German nouns an answer may well use without the source using them (it paraphrases, not names).
_GENERIC_NOUNS = frozenset(fold(w) for w in [
    "Unternehmen", "Konzern", "Konzerne", "Hersteller", "Firma", "Firmen", "Jahr", "Jahre", "Jahren", "Prozent",
    "Euro", "Dollar", "Millionen", "Milliarden", "Angaben", "Quelle", "Quellen", "Bericht", "Artikel", "Zeit",
    "Teil", "Ende", "Anfang", "Mitte", "Woche", "Monat", "Monate", "Monaten", "Tag", "Tage", "Menschen",
    "Personen", "Leute", "Rahmen", "Frage", "Antwort", "Grund", "Gründe", "Ziel", "Ziele", "Zusammenarbeit",
    "Kooperation", "Partner", "Partnerschaft", "Bereich", "Bereiche", "Thema", "Themen", "Fall", "Weise", "Art",
    "Zahl", "Anzahl", "Höhe", "Summe", "Betrag", "Plan", "Pläne", "Ja", "Nein", "Laut", "Demnach", "Dabei",
    "Zudem", "Außerdem", "Damit", "Deshalb", "Daher", "Dort", "Hier", "Heute", "Insgesamt", "Sprecher",
    "Sprecherin", "Chef", "Chefin"])
_NEGATION = re.compile(
    r"\b(?:nicht|kein\w*|nie|niemals|weder|noch\s+nicht|nichts|ohne|not|no|never|neither|nor|none|without"
    r"|n't|lehnt\w*(?:\s+\w+){0,4}\s+ab|abgelehnt|ruled?\s+out|rules\s+out|refus\w+|declin\w+)\b", re.IGNORECASE)
_CAUSAL = re.compile(
    r"\b(?:weil|da|denn|damit|um|wegen|aufgrund|angesichts|dank|infolge|grund|gründe|ziel|vorwurf|soll|sollen"
    r"|because|since|as|due|owing|thanks|so\s+that|in\s+order|to\s+\w+|reason|reasons|aim|goal|purpose"
    r"|accused|allegations?|after|following)\b", re.IGNORECASE)
_CONTRAST = re.compile(r",?\s\b(?:aber|sondern|jedoch|doch|während|but|whereas|while|however)\b", re.IGNORECASE)
_RELATIVE = re.compile(r"[,;:–]\s*(?:das|die|der|dem|den|deren|dessen|welche\w*|which|who|whom|that|where|wo)\b",
                       re.IGNORECASE)
_GOVERNED = re.compile(r"\bzu\s+\w+|\bdass\b|\bto\s+\w+|\bthat\b", re.IGNORECASE)
_NOT_ONLY = re.compile(r"\b(?:nicht\s+nur|not\s+only|nicht\s+zuletzt)\b", re.IGNORECASE)
_PREP_BEFORE_NUMBER = re.compile(r"\b(um|auf|von|bis|by|to|from|until)\s+(?:rund\s+|etwa\s+|about\s+|around\s+)?"
                                 r"(\d+(?:[.,]\d+)*)", re.IGNORECASE)
_PREP_CLASS = {"um": "by", "by": "by", "auf": "to", "to": "to", "bis": "to", "until": "to", "von": "from",
               "from": "from"}
_REPEATABLE = frozenset({"sich", "sein", "seine", "seiner", "ihre", "ihren", "dass", "wird", "werden", "wurde",
                         "haben", "hatte", "sind", "with", "that", "their", "have", "from", "this", "also",
                         "auch", "nicht", "eine", "einen", "einer", "prozent", "percent", "million", "millionen",
                         "milliarden", "billion", "euro", "jahr", "jahre", "year", "years", "oder", "sowie",
                         "which", "were", "will", "would", "dies", "diese", "dieser", "the"})
_LIST_SPLIT = re.compile(r",\s*|;\s*|\s+(?:und|sowie|oder|and|or|as\s+well\s+as)\s+", re.IGNORECASE)
_DETERMINERS = frozenset([
    "der", "die", "das", "des", "dem", "den", "ein", "eine", "einer", "eines", "einem", "einen", "kein",
    "keine", "keiner", "keines", "keinem", "keinen", "dieser", "diese", "dieses", "diesem", "diesen", "jeder",
    "jede", "jedes", "jedem", "jeden", "sein", "seine", "seiner", "seines", "seinem", "seinen", "ihr", "ihre",
    "ihrer", "ihres", "ihrem", "ihren", "unser", "unsere", "the", "a", "an", "this", "that", "its", "their",
    "his", "her", "neue", "neuen", "neuer", "neues"])
_UNIT_WORDS = frozenset({"prozent", "percent", "euro", "dollar", "jahr", "year", "million", "milliard", "mio", "mrd"})
_REPEAT_NAME = re.compile(r"\b([A-ZÄÖÜ][\w-]+)\s+(?:und|and|sowie|&|,)\s+\1\b")
_KIND_NAMES = {"date": "date", "number": "number", "name": "name", "place": "place", "list": "item",
               "reason": "reason", "yesno": "statement", "fact": "fact"}
_LOCAL_MARGIN = 0.03  # evidence sentences this close to the best match count as where a sentence comes from


@dataclass
class Verification:
    """What survived checking, and every decision taken on the way."""

    text: str
    kept: list[str] = field(default_factory=list)
    checks: list[SentenceCheck] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    refused: bool = False

    @property
    def rejected(self) -> list[SentenceCheck]:
        return [c for c in self.checks if not c.accepted]


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


def number_words(text: str, loose: bool = False) -> set[str]:
    """Numbers written as words: 'drei', 'three', 'dreiundzwanzig', ordinals at a word's start
    ('drittgrößter', 'third'); with ``loose`` also 'beide'/'both'."""
    low = text.lower()
    words = re.findall(r"[a-zäöüß]+", low)
    table = _NUMBER_WORDS | (_LOOSE_NUMBER_WORDS if loose else {})
    out = {table[w] for w in words if w in table}
    out |= {str(_UNITS[m.group(1)] + _TENS[m.group(2)]) for m in _COMPOUND.finditer(low)}
    out |= {d for w in words for o, d in _ORDINALS.items() if w.startswith(o) and len(w) <= len(o) + 8}
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


def is_refusal(sentence: str, refusal: str, question: str = "") -> bool:
    """Whether a sentence is the prompt's "not in the sources" reply or says the same in other words. When the
    question itself speaks of sources that name nothing ("Warum wollten die Quellen nicht genannt werden?"),
    only the reply itself counts: an answer restating the question is not a refusal."""
    def norm(s: str) -> str:
        return re.sub(r"[^\w ]", "", strip_markers(s).lower()).strip()

    a, b = norm(sentence), norm(refusal)
    if not a:
        return False
    prefix = len(b) >= 20 and a.startswith(b[: max(20, len(b) - 10)])
    return a == b or prefix or (bool(_NO_INFO.search(strip_markers(sentence))) and not _NO_INFO.search(question))


@dataclass(frozen=True)
class _Evidence:
    """Text prepared for the grounding checks."""

    text: str  # lower-cased
    folded: str
    text_cased: str
    tokens: frozenset[str]  # folded words and stems
    numbers: frozenset[str]


@lru_cache(maxsize=4096)
def _evidence_of(text: str) -> _Evidence:
    low = text.lower()
    tokens = {fold(t) for t in re.findall(r"\w+", low)}
    for lang in ("de", "en"):
        tokens |= set(bm25_tokens(text, lang))
    numbers = numbers_in(text) | number_words(text, loose=True)
    return _Evidence(low, fold(low), text, frozenset(tokens), frozenset(numbers))


@dataclass
class _Unit:
    """One numbered source: its text (instructions masked), sentences and their vectors."""

    passage: Passage
    text: str
    sentences: list[str]
    evidence: _Evidence
    vector: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    question_relevance: list[float] = field(default_factory=list)
    question_coverage: list[float] = field(default_factory=list)


class _Context:
    """Everything one verification needs about the sources and the question, embedded once."""

    def __init__(self, embedder: VectorEmbedding, sources: list[Passage], question: QuestionInfo | None) -> None:
        self.embedder = embedder
        self.sources = sources
        self.question = question
        self.units = []
        for p in sources:
            text = mask_instructions(p.text, mask="")  # an injected instruction supports nothing
            sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
            # the source's outlet and date are what the prompt shows with it ("Quelle [1] (Reuters, 2018)")
            meta = " ".join(x for x in (p.title, p.outlet or "", p.date or "") if x)
            self.units.append(_Unit(p, text, sentences, _evidence_of(f"{meta} {text}")))
        self.claim_vectors: dict[str, np.ndarray] = {}
        self.best_question_relevance = 0.0
        self.best_question_coverage = 0.0

    def embed(self, claims: list[str]) -> None:
        """Embed the claims, the question and every source sentence in one batch."""
        texts = [c for c in dict.fromkeys(claims) if c not in self.claim_vectors]
        unit_texts = [u.text for u in self.units if u.vector is None]
        sentences = [s for u in self.units if u.sentence_vectors is None for s in u.sentences]
        q = [self.question.text] if self.question is not None and not self.units_ready else []
        if not (texts or unit_texts or sentences or q):
            return
        vecs = self.embedder.similarity_vectors(texts + unit_texts + sentences + q)
        self.claim_vectors.update(zip(texts, vecs[: len(texts)], strict=True))
        i = len(texts)
        for u in self.units:
            if u.vector is None:
                u.vector, i = vecs[i], i + 1
        for u in self.units:
            if u.sentence_vectors is None:
                u.sentence_vectors, i = vecs[i: i + len(u.sentences)], i + len(u.sentences)
        if q:
            qv = vecs[i]
            for u in self.units:
                assert u.sentence_vectors is not None and self.question is not None
                # a sentence that refers back ("Er floh …") is read with its predecessor, as evidence is
                texts, vectors = [], []
                for j, (s, v) in enumerate(zip(u.sentences, u.sentence_vectors, strict=True)):
                    if j and refers_back(s):
                        texts.append(u.sentences[j - 1] + " " + s)
                        both = u.sentence_vectors[j - 1] + v
                        vectors.append(both / (np.linalg.norm(both) or 1.0))
                    else:
                        texts.append(s)
                        vectors.append(v)
                lexical = lexical_coverage(self.question, texts)
                u.question_coverage = lexical
                u.question_relevance = [float(v @ qv) + 0.15 * lx for v, lx in zip(vectors, lexical, strict=True)]
            self.best_question_relevance = max(r for u in self.units for r in u.question_relevance)
            self.best_question_coverage = max(c for u in self.units for c in u.question_coverage)

    @property
    def units_ready(self) -> bool:
        return all(u.sentence_vectors is not None for u in self.units)

    def similarity(self, claim: str, cited: list[int]) -> tuple[float, list[tuple[int, int]]]:
        """The claim's best similarity to a cited unit or sentence, and the cited sentences (unit, index)
        within a small margin of its best sentence match: where it comes from."""
        self.embed([claim])
        cv = self.claim_vectors[claim]
        scored: list[tuple[float, int, int]] = []
        best_unit = -1.0
        for n in cited:
            u = self.units[n - 1]
            assert u.vector is not None and u.sentence_vectors is not None
            best_unit = max(best_unit, float(u.vector @ cv))
            scored += [(float(v @ cv), n, i) for i, v in enumerate(u.sentence_vectors)]
        top = max(s for s, _, _ in scored)
        local = [(n, i) for s, n, i in scored if s >= top - _LOCAL_MARGIN]
        return max(top, best_unit), local

    def nearest(self, claim: str, cited: list[int]) -> tuple[int, str]:
        """The source sentence closest in meaning to the claim, among the cited sources (all when none):
        where a dropped sentence was most likely written from."""
        self.embed([claim])
        cv = self.claim_vectors[claim]
        scored = []
        for n in cited or range(1, len(self.units) + 1):
            vectors = self.units[n - 1].sentence_vectors
            assert vectors is not None
            scored += [(float(v @ cv), n, i) for i, v in enumerate(vectors)]
        _, n, i = max(scored)
        return n, self.units[n - 1].sentences[i]


class Verifier:
    """Judges answer sentences against cited evidence (see module docstring)."""

    def __init__(self, embedder: VectorEmbedding, min_similarity: float,
                 min_similarity_cross: float | None = None, locality_margin: float = 0.05,
                 short_answer_words: int = 4, coverage_margin: float = 0.4) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.min_similarity_cross = min_similarity if min_similarity_cross is None else min_similarity_cross
        self.locality_margin = locality_margin
        self.coverage_margin = coverage_margin  # "Wer wird Finanzminister?": from the sentence about finance
        self.short_answer_words = short_answer_words

    # --- the whole answer ------------------------------------------------------------------------
    def verify(self, answer: str, sources: list[Passage], refusal: str, language: str = "de",
               question: QuestionInfo | None = None, cut_off: bool = False) -> Verification:
        """Check each sentence of ``answer``; ``cut_off`` says the generation stopped at its token or time
        limit (then a last sentence without closing punctuation is incomplete and dropped)."""
        text = normalise_markers(answer).strip()
        sentences = _attach_orphan_markers(split_sentences(text))
        result = Verification(text="")
        ctx = _Context(self.embedder, sources, question)
        pending: list[tuple[str, str, list[int], list[int]]] = []  # plain, clean, valid, invalid
        for i, s in enumerate(sentences):
            if is_refusal(s, refusal, question.text if question else ""):
                result.refused = True
                continue
            plain = strip_markers(s)
            if not plain:
                continue
            if cut_off and i == len(sentences) - 1 and not re.search(r"[.!?…\"'»“”)\]]\s*$", s):
                result.checks.append(_reject(plain, [], "incomplete sentence (the generation was cut off)"))
                continue
            garbled = _garbled(plain, question.text if question else "", [p.text for p in sources])
            if garbled:
                result.checks.append(_reject(plain, markers(s), garbled))
                continue
            valid, invalid = split_valid(markers(s), len(sources))
            pending.append((plain, _drop_markers(s, invalid), valid, invalid))
        if sources:
            ctx.embed([p for p, *_ in pending])
        for plain, clean, valid, invalid in pending:
            check = self._judge(plain, valid, ctx, language) if valid else None
            if check is None or not check.accepted:
                # no citation, or the cited source fails: the one source that passes every check, if any
                repaired = self._single_support(plain, ctx, language, exclude=valid)
                if repaired is not None:
                    check = repaired
                    clean = _add_marker(plain, repaired.cited[0])
            if check is None:
                reason = f"cites [{', '.join(map(str, invalid))}], which is not a source" if invalid \
                    else "cites no source"
                check = _reject(plain, invalid, reason)
            result.checks.append(check)
            if check.accepted:
                result.kept.append(clean)
                result.cited += [n for n in check.cited if n not in result.cited]
        result.text = " ".join(result.kept)
        if sources:
            result.checks = [self._with_nearest(c, ctx) for c in result.checks]
        return result

    @staticmethod
    def _with_nearest(check: SentenceCheck, ctx: _Context) -> SentenceCheck:
        """A dropped sentence with the source sentence it was most likely written from (the quote's first
        candidate: the model usually found the right sentence even when it worded the answer wrongly)."""
        if check.accepted or not check.sentence.strip():
            return check
        cited = [n for n in check.cited if 1 <= n <= len(ctx.units)]
        n, sentence = ctx.nearest(check.sentence, cited)
        return check.model_copy(update={"nearest_source": n, "nearest_sentence": sentence})

    def _single_support(self, claim: str, ctx: _Context, language: str, exclude: list[int]) -> SentenceCheck | None:
        if len(claim.split()) < 2:
            return None  # a single word ("HACKED") never gets a citation it did not ask for
        passing = [c for n in range(1, len(ctx.sources) + 1) if n not in exclude
                   for c in [self._judge(claim, [n], ctx, language)] if c.accepted]
        if len(passing) != 1:
            return None
        return passing[0].model_copy(update={"repaired": True})

    # --- one sentence against its cited sources -----------------------------------------------------
    def _judge(self, claim: str, cited: list[int], ctx: _Context, language: str) -> SentenceCheck:
        def reject(reason: str, sim: float | None = None) -> SentenceCheck:
            return SentenceCheck(sentence=claim, cited=cited, accepted=False, reason=reason,
                                 similarity=None if sim is None else round(sim, 3))

        units = [ctx.units[n - 1] for n in cited]
        ev = _merge([u.evidence for u in units])
        problem = _grounding(claim, ev, cited, ctx, language)
        if problem:
            return reject(problem)
        sim, local = ctx.similarity(claim, cited)
        local_text = " ".join(ctx.units[n - 1].sentences[i] for n, i in local)
        # a number must come from the sentence the claim comes from (not from the one before: "Ghosn wurde
        # 2018 verhaftet. Er floh Ende 2019 …" does not make 2018 the year he fled)
        stray = (numbers_in(claim) | number_words(claim)) - _evidence_of(local_text).numbers
        if stray:
            stray -= _derived(_evidence_of(local_text).numbers)
        if stray:
            return reject(f"number(s) {', '.join(sorted(stray))} belong to another statement of the source", sim)
        problem = _agreement(claim, language, local_text, units[0].passage.language)
        if problem:
            return reject(problem, sim)
        items: list[str] = []
        q = ctx.question
        if q is not None:
            local_ev = _evidence_of(local_text)
            items = answer_items(claim, q, local_ev, language)
            if not items:
                return reject(f"does not answer the question (no {_KIND_NAMES[q.kind]} from the cited "
                              "evidence)", sim)
            relevance = max(ctx.units[n - 1].question_relevance[i] for n, i in local)
            if ctx.best_question_relevance - relevance > self.locality_margin:
                return reject("comes from a cited sentence that is not about the question (a neighbouring "
                              f"fact: relevance {relevance:.2f}, best {ctx.best_question_relevance:.2f})", sim)
            coverage = max(ctx.units[n - 1].question_coverage[i] for n, i in local)
            if ctx.best_question_coverage - coverage > self.coverage_margin:
                return reject("comes from a cited sentence that lacks what the question is about (it shares "
                              f"{coverage:.0%} of the question's words, another sentence "
                              f"{ctx.best_question_coverage:.0%})", sim)
        if language == "en" and _german_function_words(claim):
            return reject("written in another language than the question", sim)
        same = all(u.passage.language == language for u in units)
        bar = self.min_similarity if same else self.min_similarity_cross
        short = bool(items) and len(bm25_tokens(claim, language)) <= self.short_answer_words
        if sim < bar and not short:
            return reject(f"not close enough in meaning to the cited source ({sim:.2f} < {bar:.2f})", sim)
        return SentenceCheck(sentence=claim, cited=cited, accepted=True, similarity=round(sim, 3), items=items,
                             source_sentence=local_text)


def _merge(parts: list[_Evidence]) -> _Evidence:
    if len(parts) == 1:
        return parts[0]
    return _Evidence(" ".join(p.text for p in parts), " ".join(p.folded for p in parts),
                     " ".join(p.text_cased for p in parts), frozenset().union(*(p.tokens for p in parts)),
                     frozenset().union(*(p.numbers for p in parts)))


def _grounding(claim: str, ev: _Evidence, cited: list[int], ctx: _Context, language: str) -> str | None:
    """Check 3 of the module docstring: numbers, names and glossary words of the claim in the evidence."""
    q = ctx.question
    asked = q.text if q else ""
    # a number is a claim even when the question holds it ("… auf null gesenkt?" presupposes it); a
    # difference or sum of two numbers of the source is a number of the source ("from 43% to 15%": 28 points)
    missing = (numbers_in(claim) | number_words(claim)) - ev.numbers
    missing -= _derived(ev.numbers)
    if missing:
        return f"number(s) {', '.join(sorted(missing))} not in the cited source"
    others = [u for n, u in enumerate(ctx.units, 1) if n not in cited]
    cited_docs = {ctx.units[n - 1].passage.doc_id for n in cited}
    tolerated = 1 if language != "en" and len(bm25_tokens(claim, language)) >= 7 else 0
    asked_folded = fold(asked)
    for name in _names(claim, language):
        if _grounded(name, ev) or _compound_grounded(name, ev):
            continue
        from_question = fold(name) in asked_folded
        proper = language == "en" or _ACRONYM.fullmatch(name) or not _NOUN_SHAPE.search(name)
        elsewhere = [u for u in others if u.passage.doc_id not in cited_docs and _grounded(name, u.evidence)]
        if proper and elsewhere and not (from_question and any(u.passage.doc_id in cited_docs for u in ctx.units)):
            return f"'{name}' appears in another source, not in the cited one"
        if from_question:
            continue  # repeating the question's subject ("General Motors", "EV strategy") claims nothing new
        if tolerated and not _ACRONYM.fullmatch(name):
            tolerated -= 1  # a long German sentence may paraphrase one noun
            continue
        return f"'{name}' is not in the cited source"
    if language == "en":
        for word in _glossary_words(claim):
            forms = german_forms(word)
            if not (_token_in(fold(word), ev) or any(f in ev.folded for f in forms)):
                return f"'{word}' is not in the cited source"
    else:
        content = [w for w in bm25_tokens(claim, language) if not w.isdigit() and fold(w) not in _UNIT_WORDS]
        if len(content) >= 4 and any(u.passage.language == language for n in cited for u in [ctx.units[n - 1]]):
            found = sum(_token_in(fold(w), ev) for w in content)
            if found < 0.4 * len(content):
                return f"most of its words are not in the cited source ({found} of {len(content)})"
    return None


def _agreement(claim: str, language: str, local: str, local_language: str) -> str | None:
    """Check 4: the numbers' relations and the polarity agree with the evidence sentence it comes from."""
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
    if not claim_neg and any(_about(_overlap(c, claim_tokens), c, claim_tokens) for c in local_neg):
        return "leaves out a negation of the source (the source says the opposite)"
    if claim_neg and not local_neg and any(_about(_overlap(c, local_tokens), c, local_tokens) for c in claim_neg):
        return "adds a negation the source does not have"
    return None


def _about(shared: int, scope: set[str], other: set[str]) -> bool:
    """Whether a negated scope and a text are about the same thing: at least two shared words, and half
    of the smaller of the two."""
    return shared >= 2 and shared >= 0.5 * min(len(scope), len(other))


_DE_FUNCTION = frozenset([
    "der", "die", "das", "den", "dem", "des", "und", "ist", "sind", "wird", "wurde", "werden", "nicht", "ein",
    "eine", "einen", "mit", "von", "zu", "für", "auf", "im", "bei", "nach", "sich", "auch", "als"])
_EN_FUNCTION = frozenset([
    "the", "of", "and", "is", "are", "was", "were", "will", "be", "to", "a", "an", "in", "on", "with", "for",
    "from", "that", "this", "by", "it", "not", "has", "have", "had"])


def _german_function_words(claim: str) -> bool:
    """Whether a sentence is German by its function words (names of German places and firms in an English
    sentence do not count: "the Landkreis Oder-Spree")."""
    words = re.findall(r"[a-zäöüß]+", claim.lower())
    de, en = sum(w in _DE_FUNCTION for w in words), sum(w in _EN_FUNCTION for w in words)
    return de >= 2 and de > en


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
    ev = _Evidence(" ".join(scope), " ".join(scope), " ".join(scope), frozenset(scope), frozenset())
    return sum(_token_in(t, ev) for t in tokens if len(t) >= 3)


def missing_items(answer: str, source_sentence: str, language: str, source_language: str) -> list[str]:
    """The items of an enumeration in the source sentence ("Brennstoffzellen, Sportwagen, Elektroantriebe und
    Leichtbau") that the answer leaves out, when it names some of them; [] when it names all or none, or the
    sentence lists nothing, or answer and source are in different languages (words cannot be compared)."""
    if language != source_language:
        return []
    parts = [p.strip() for p in _LIST_SPLIT.split(source_sentence) if p.strip()]
    items = [p for p in parts[1:] if 1 <= len(p.split()) <= 6]  # the first part holds subject and verb
    if len(items) < 2:
        return []
    answer_ev = _evidence_of(answer)

    def named(item: str) -> bool:
        words = [w for w in bm25_tokens(item, source_language) if len(w) >= 3]
        return bool(words) and any(_token_in(fold(w), answer_ev) for w in words)

    flags = [named(i) for i in items]
    if not any(flags) or all(flags):
        return []
    return [i for i, f in zip(items, flags, strict=True) if not f]


def _derived(numbers: frozenset[str] | set[str]) -> set[str]:
    """Differences and sums of two numbers (a claim may state "28 percentage points" for "from 43 to 15")."""
    values = []
    for n in numbers:
        try:
            values.append(float(n))
        except ValueError:
            continue
    out = set()
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            for v in (abs(a - b), a + b):
                out.add(str(int(v)) if v == int(v) else f"{v:g}")
    return out


def _norm_number(raw: str) -> str:
    return next(iter(numbers_in(raw)), raw)


def _names(claim: str, language: str) -> list[str]:
    """The names in a sentence whose presence in the sources can be checked (see module docstring)."""
    found = [m.group() for m in _ACRONYM.finditer(claim)]
    words = claim.split()
    start = len(claim) - len(claim.lstrip())
    for m in _CAPITALISED.finditer(claim):
        word = m.group()
        first = m.start() == start or claim[start: m.start()].strip() in ('"', "„", "'", "«")
        if language == "en":
            if first and (len(words) > 4 or word.lower() in _ENGLISH_COMMON_STARTS):
                continue  # a capitalised first word is usually an ordinary word, unless the answer is short
        else:
            if first and (len(words) > 4 or word.lower() in _GERMAN_COMMON_STARTS) or fold(word) in _GENERIC_NOUNS:
                continue
        found.append(re.sub(r"['’]s$", "", word))
    return list(dict.fromkeys(found))


def _glossary_words(claim: str) -> list[str]:
    """English words and phrases of the claim that the glossary maps to German, except generic ones."""
    words = [w for w in re.findall(r"[a-zA-Z][a-zA-Z-]+", claim) if len(w) >= 3]
    out = [p for p in phrases_in(claim) if is_strict(p)]
    covered = " ".join(out)
    for w in words:
        if w.lower() in covered or not is_strict(w.lower()):
            continue
        out.append(w.lower())
    return list(dict.fromkeys(out))


def _compound_grounded(word: str, ev: _Evidence) -> bool:
    """A German compound made of words of the source ('Festkörperbatterien' from 'Festkörper-…-Batterien')."""
    w = fold(word)
    for i in range(4, len(w) - 3):
        head, tail = w[:i], w[i:]
        if _part_in(head, ev) and (_part_in(tail, ev) or tail.startswith("s") and _part_in(tail[1:], ev)):
            return True
    return False


def _part_in(part: str, ev: _Evidence) -> bool:
    return len(part) >= 4 and (part in ev.tokens or part in ev.folded)


def _grounded(name: str, ev: _Evidence) -> bool:
    """Whether a name occurs in the evidence: as a word, inside a compound, via the glossary, or spelled
    nearly the same (Lebanon/Libanon); an English plural or genitive of it counts ('EVs', "Nissan's")."""
    low = name.lower()
    if low in ev.text or (len(low) > 2 and low.endswith("s") and low[:-1] in ev.text):
        return True
    parts = [fold(p) for p in re.split(r"[-\s]", low) if p]
    if parts and all(_token_in(p, ev, near=True) for p in parts):
        return True
    forms = german_forms(low)
    return bool(forms) and any(f in ev.folded for f in forms)


def _token_in(word: str, ev: _Evidence, near: bool = False) -> bool:
    """Whether a (folded) word occurs in the evidence: as a token or inside one, through the glossary, or
    (``near``, for names only) spelled nearly the same."""
    if word in ev.tokens or (len(word) >= 3 and word in ev.folded):
        return True
    forms = german_forms(word)
    if forms and any(f in ev.folded for f in forms):
        return True
    return near and len(word) >= 5 and any(SequenceMatcher(None, word, t[: len(word)]).ratio() >= 0.8
                                           for t in ev.tokens if len(t) >= 5 and t[0] == word[0])


def answer_items(claim: str, q: QuestionInfo, ev: _Evidence | str, language: str) -> list[str]:
    """The things the sentence states beyond the question that the evidence holds, of the kind asked for."""
    if isinstance(ev, str):
        ev = _evidence_of(ev)
    asked_tokens = {fold(t) for t in bm25_tokens(q.text, q.language)} | {fold(t) for t in q.focus}
    asked_numbers = numbers_in(q.text) | number_words(q.text)
    numbers = sorted((numbers_in(claim) | number_words(claim)) - asked_numbers)
    derived = _derived(ev.numbers) if q.kind == "number" else set()  # "by 28 points" from "from 43 to 15"
    numbers = [n for n in numbers if n in ev.numbers or n in derived]
    if q.kind == "date":
        dates = [m.group() for m in _DATE_WORDS.finditer(claim) if m.group().lower() not in q.text.lower()
                 and _token_in(fold(m.group()), ev)]
        years = [n for n in numbers if _YEAR.fullmatch(n)]
        return list(dict.fromkeys(years + dates + [n for n in numbers if n not in years]))
    if q.kind == "number":
        return numbers
    words = [w for w in bm25_tokens(claim, language) if fold(w) not in asked_tokens and not _asked(w, asked_tokens)]
    grounded = [w for w in dict.fromkeys(words) if _token_in(fold(w), ev)]
    grounded += [p for p in phrases_in(claim) if p not in fold(q.text) and any(f in ev.folded
                                                                                for f in german_forms(p))]
    names = [n for n in _names(claim, language) if n.lower() not in q.text.lower() and _grounded(n, ev)]
    if q.kind == "place":
        places = [m.group(1) for m in _LOCATIVE.finditer(claim) if _grounded(m.group(1), ev)
                  and m.group(1).lower() not in q.text.lower() and not _DATE_WORDS.fullmatch(m.group(1))]
        adjectives = [w for w in bm25_tokens(claim, language) if is_place(w) and _token_in(fold(w), ev)
                      and fold(w) not in fold(q.text)]
        return list(dict.fromkeys(places + adjectives))
    if q.kind == "name":
        found = [n for n in names if not _DATE_WORDS.fullmatch(n) and (language == "en" or _proper(n, ev))]
        if found or _names_in(ev, q):
            return found  # who / with whom: a name, not just more words, when the source names one
        # the source gives no name ("der Leiter der Produktplanung"): the role it gives is the answer
    if q.kind == "yesno":
        # a yes or no answer restates the question; the polarity check (negations) does the work
        restated = [w for w in dict.fromkeys(bm25_tokens(claim, language)) if _token_in(fold(w), ev)]
        return restated if len(restated) >= 2 else []
    items = list({fold(i): i for i in names + numbers + grounded}.values())
    if q.kind == "reason" and not (_CAUSAL.search(claim) and items) and len(items) < 3:
        return []  # a reason is stated with its connective or in several new words; restating the event is not
    return items


def _names_in(ev: _Evidence, q: QuestionInfo) -> bool:
    """Whether the evidence names someone or something beyond the question (a proper name, an acronym)."""
    asked = fold(q.text)
    return any(fold(m.group()) not in asked and _proper(m.group(), ev)
               for m in re.finditer(r"(?<=[\w,;:] )[A-ZÄÖÜ][\w-]+|\b[A-Z]{2,}\b", ev.text_cased))


def _proper(word: str, ev: _Evidence) -> bool:
    """Whether a capitalised word is a name in the evidence and not a German common noun: an acronym or model
    name, or a word that occurs there at least once without an article or determiner before it ("von Ivan
    Espinosa", not "des Leiters")."""
    if _ACRONYM.fullmatch(word):
        return True
    if _NOUN_SHAPE.search(word) or fold(word) in _GENERIC_NOUNS:
        return False
    for m in re.finditer(rf"(\w+)?\s*\b{re.escape(word)}\b", ev.text_cased):
        before = (m.group(1) or "").lower()
        if before not in _DETERMINERS:
            return True
    return False


def _asked(word: str, asked: set[str]) -> bool:
    w = fold(word)
    return any(len(a) >= 5 and (w.startswith(a) or a.startswith(w)) for a in asked)


def _garbled(sentence: str, question: str = "", sources: Sequence[str] = ()) -> str | None:
    """A sentence that repeats itself is a generation gone wrong, whatever its words (what the question
    itself repeats, such as "zero percent - zero percent", does not count, nor does what a source repeats:
    a sentence quoted verbatim from a source, or a name the source names as often)."""
    squeezed = " ".join(sentence.lower().split())
    if len(squeezed) > 20 and any(squeezed in " ".join(t.lower().split()) for t in sources):
        return None  # a verbatim quote is exactly as repetitive as its source
    in_source = Counter[str]()
    for t in sources:
        for w, n in Counter(fold(p) for p in re.findall(r"[^\W\d_]{4,}", t.lower())).items():
            in_source[w] = max(in_source[w], n)
    asked = Counter(re.findall(r"\w+", question.lower()))
    for word, n in asked.items():  # words the question itself repeats may repeat in the answer
        if n > 1 and len(word) > 3:
            sentence = re.sub(rf"\b{re.escape(word)}\b", "", sentence, flags=re.IGNORECASE)
    m = _REPEAT_NAME.search(sentence)
    if m:
        return f"garbled ('{m.group(1)}' twice in a row)"
    # a word twice in a row ("Peugeot und und"); not across a clause boundary ("…, die Alltag sind, sind …")
    if any(len(m.group(1)) > 2 and not m.group(1).isdigit()
           for m in re.finditer(r"\b(\w+)\s+(?=(\w+)\b)", sentence.lower()) if m.group(1) == m.group(2)):
        return "garbled (a word is repeated)"
    # a repeated phrase of ordinary words (names may well be named twice: "Waren (Müritz)")
    plain = re.findall(r"\b[a-zäöüß]+\b", sentence)
    grams = [tuple(plain[i:i + 2]) for i in range(len(plain) - 1)]
    if any(n > 1 for g, n in Counter(grams).items() if all(len(w) > 3 for w in g)):
        return "garbled (a phrase is repeated)"
    parts = Counter(fold(p) for p in re.findall(r"[^\W\d_]{4,}", sentence.lower()))
    repeated = [w for w, n in parts.items() if n >= 2 and w not in _REPEATABLE and n > in_source[w]]
    if any(parts[w] >= 3 for w in repeated) or len(repeated) >= 3:
        return f"garbled ('{repeated[0]}' repeated)"
    return None


def _reject(sentence: str, cited: list[int], reason: str) -> SentenceCheck:
    return SentenceCheck(sentence=sentence, cited=cited, accepted=False, reason=reason)


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
