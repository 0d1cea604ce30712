"""Checks every answer sentence against the evidence it cites; a sentence that fails any check is dropped.

A sentence is kept only when all of these hold (the first that fails is the recorded reason):

1. it cites at least one valid source (a forgotten or wrong marker is repaired only when exactly one
   source passes every check);
2. it is not garbled (the same name twice in a row, a repeated phrase or word) and names no made-up name of the
   prompt's examples ("Muster AG") that no source names;
3. it is grounded in the cited evidence: every number (also written as a word), every name (acronyms and
   model names in any language, capitalised words in English, capitalised words in German except a few
   generic nouns) and every English word the glossary can map to German (fuel cell/Brennstoffzelle,
   convicted/verurteilt) occurs there - spelling-folded (Tokyo/Tokio), as a compound part (V6/V6-Basis) or
   a close spelling; a name only an uncited source holds means a wrong citation. A long German sentence
   may use one common noun its source does not (after an article, a preposition or an adjective: "der
   Fahrzeuge"), never a new name ("hat Google als Partner"). In the sources' own language at least half of
   its content words occur there too;
4. it agrees with the evidence sentence it comes from (the cited sentence closest in meaning): its
   numbers stand in the same relation ("um 15 %" is not "auf 15 %"), and it does not drop or add a
   negation ("keine Pläne" is not "plans");
5. it answers the question: it states an item of the kind asked for (a date for "when", a number for "how
   many" - not a day of a month, a club's "1904" or who said it -, a reason for "why", something beyond
   the question's own words otherwise) taken from that evidence sentence, and that sentence is about
   the question (ranked close to the best one by the verifier or by the evidence picker), not a neighbouring
   fact of the same article;
6. it is close in meaning to the cited evidence (multilingual embeddings; the bar is lower across
   languages, and a short answer that passed 3-5 - "Xiaomi [1]." - needs no sentence to compare).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.agreement import disagreement
from assistant.answer_items import answer_items
from assistant.citations import markers, sentences_with_markers, split_valid, strip_markers
from assistant.claim_grounding import grounding_problem, named_numbers, number_home
from assistant.compounds import german_siblings
from assistant.dictionary import Dictionary
from assistant.embeddings import VectorEmbedding
from assistant.grounding import (
    derived_numbers,
    enumerated_count,
    evidence_text,
    merge_evidence,
    number_words,
    numbers_in,
    roles_missing,
    without_source_references,
)
from assistant.models import Passage, SentenceCheck
from assistant.non_answers import echoed_example, garbled_reason, is_refusal
from assistant.questions import QuestionInfo
from assistant.text import bm25_tokens
from assistant.verify_context import SourceUnit, VerificationContext

_KIND_NAMES = {"date": "date", "number": "number", "name": "name", "place": "place", "list": "item",
               "reason": "reason", "yesno": "statement", "fact": "fact"}


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



class Verifier:
    """Judges answer sentences against cited evidence (see module docstring)."""

    def __init__(self, embedder: VectorEmbedding, min_similarity: float,
                 min_similarity_cross: float | None = None, locality_margin: float = 0.05,
                 short_answer_words: int = 4, coverage_margin: float = 0.4,
                 locality_evidence_margin: float = 0.06, dictionary: Dictionary | None = None,
                 example_names: Sequence[str] = ()) -> None:
        self.embedder = embedder
        self.example_names = tuple(dict.fromkeys(example_names))  # the made-up names of the answer prompts' examples
        self.dictionary = dictionary  # German words, for sibling compounds (assistant/compounds.py)
        self.min_similarity = min_similarity
        self.min_similarity_cross = min_similarity if min_similarity_cross is None else min_similarity_cross
        self.locality_margin = locality_margin
        self.locality_evidence_margin = locality_evidence_margin  # the picker's ranking of the same sentence
        self.coverage_margin = coverage_margin  # "Wer wird Finanzminister?": from the sentence about finance
        self.short_answer_words = short_answer_words

    # --- the whole answer ------------------------------------------------------------------------
    def verify(self, answer: str, sources: list[Passage], refusal: str, language: str = "de",
               question: QuestionInfo | None = None, cut_off: bool = False) -> Verification:
        """Check each sentence of ``answer``; ``cut_off`` says the generation stopped at its token or time
        limit (then a last sentence without closing punctuation is incomplete and dropped)."""
        sentences = sentences_with_markers(answer)
        result = Verification(text="")
        ctx = VerificationContext(self.embedder, sources, question)
        texts = [p.text for p in sources]
        pending: list[tuple[str, str, list[int], list[int]]] = []  # plain, clean, valid, invalid
        for i, s in enumerate(sentences):
            if is_refusal(s, refusal, question.text if question else ""):
                result.refused = True
                continue
            plain = strip_markers(without_source_references(s))  # "According to Source [3], …" claims no "Source"
            if not plain:
                continue
            if cut_off and i == len(sentences) - 1 and not re.search(r"[.!?…\"'»“”)\]]\s*$", s):
                result.checks.append(_reject(plain, [], "incomplete sentence (the generation was cut off)"))
                continue
            garbled = garbled_reason(plain, question.text if question else "", texts)
            echoed = echoed_example(plain, self.example_names, texts)
            if garbled or echoed:
                result.checks.append(_reject(plain, markers(s), garbled or f"'{echoed}' comes from the prompt's "
                                                                           "example, not from the sources"))
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
    def _with_nearest(check: SentenceCheck, ctx: VerificationContext) -> SentenceCheck:
        """A dropped sentence with the source sentence it was most likely written from (the quote's first
        candidate: the model usually found the right sentence even when it worded the answer wrongly). Only
        among the sources it cites: an uncited fragment ("The expanded Nissan EV") points nowhere reliably; a
        sentence written from a source sentence that is not about the question points at no quote either."""
        cited = [n for n in check.cited if 1 <= n <= len(ctx.units)]
        if check.accepted or check.off_question or not check.sentence.strip() or not cited:
            return check
        n, sentence = ctx.nearest(check.sentence, cited)
        return check.model_copy(update={"nearest_source": n, "nearest_sentence": sentence})

    def _single_support(self, claim: str, ctx: VerificationContext, language: str,
                        exclude: list[int]) -> SentenceCheck | None:
        if len(claim.split()) < 2:
            return None  # a single word ("HACKED") never gets a citation it did not ask for
        passing = [c for n in range(1, len(ctx.sources) + 1) if n not in exclude
                   for c in [self._judge(claim, [n], ctx, language)] if c.accepted]
        if len(passing) != 1:
            return None
        return passing[0].model_copy(update={"repaired": True})

    # --- one sentence against its cited sources -----------------------------------------------------
    def _judge(self, claim: str, cited: list[int], ctx: VerificationContext, language: str) -> SentenceCheck:
        def reject(reason: str, sim: float | None = None, off_question_from: str | None = None) -> SentenceCheck:
            # an off-question reject names the sentence it came from: the quote must not bring it back
            return SentenceCheck(sentence=claim, cited=cited, accepted=False, reason=reason,
                                 similarity=None if sim is None else round(sim, 3),
                                 off_question=off_question_from is not None, source_sentence=off_question_from)

        units = [ctx.units[n - 1] for n in cited]
        ev = merge_evidence([u.evidence for u in units])
        problem = grounding_problem(claim, ev, cited, ctx, language)
        if problem:
            return reject(problem)
        sim, local = ctx.similarity(claim, cited)
        local_text = " ".join(ctx.units[n - 1].sentences[i] for n, i in local)
        # a number must come from the sentence the claim comes from (not from the one before: "Ghosn wurde
        # 2018 verhaftet. Er floh Ende 2019 …" does not make 2018 the year he fled)
        home = evidence_text(" ".join(ctx.units[n - 1].sentences[i] for n, i in number_home(claim, local, ctx,
                                                                                           language)))
        stray = (numbers_in(claim) | number_words(claim)) - home.numbers
        if stray:
            stray -= derived_numbers(home.numbers) | enumerated_count(claim)
        if stray:  # "Brandwacht-1" names the satellite the cited article (or the question) names: it counts nothing
            asked = ctx.question.text if ctx.question else ""
            known = " ".join([asked, *(f"{u.passage.title} {u.text}" for u in units)])
            stray -= named_numbers(claim, known)
        if stray:
            return reject(f"number(s) {', '.join(sorted(stray))} belong to another statement of the source", sim)
        problem = disagreement(claim, language, local_text, units[0].passage.language)
        if problem:
            return reject(problem, sim)
        items: list[str] = []
        if ctx.question is not None:
            # the question, else one of two questions in one ("Was kostet X, und wer zahlt?"): the sentence about
            # the second is about the question too; what is said of a failed claim is what the whole question says
            outcome = self._about(claim, 0, units, local, local_text, ctx, language, sim, reject)
            for k in range(1, len(ctx.asked)):
                if isinstance(outcome, list):
                    break
                part = self._about(claim, k, units, local, local_text, ctx, language, sim, reject)
                outcome = part if isinstance(part, list) else outcome
            if isinstance(outcome, SentenceCheck):
                return outcome
            items = outcome
        if language == "en" and _german_function_words(claim):
            return reject("written in another language than the question", sim)
        same = all(u.passage.language == language for u in units)
        bar = self.min_similarity if same else self.min_similarity_cross
        short = bool(items) and len(bm25_tokens(claim, language)) <= self.short_answer_words
        if sim < bar and not short:
            return reject(f"not close enough in meaning to the cited source ({sim:.2f} < {bar:.2f})", sim)
        return SentenceCheck(sentence=claim, cited=cited, accepted=True, similarity=round(sim, 3), items=items,
                             source_sentence=local_text)

    def _about(self, claim: str, k: int, units: list[SourceUnit], local: list[tuple[int, int]], local_text: str,
               ctx: VerificationContext, language: str, sim: float,
               reject: Callable[..., SentenceCheck]) -> list[str] | SentenceCheck:
        """Whether the claim answers question ``k`` of ``ctx.asked`` from its cited evidence: the items it states
        (see assistant/answer_items.py), or the rejection saying why not."""
        q = ctx.asked[k]
        local_ev = evidence_text(local_text)
        items = answer_items(claim, q, local_ev, language)
        if not items:
            return reject(f"does not answer the question (no {_KIND_NAMES[q.kind]} from the cited "
                          "evidence)", sim)
        # the role may stand in another evidence sentence of the article ("Die Geschäftsführerin … will …"
        # before "Annette Vollrath sagte …")
        docs = {u.passage.doc_id for u in units}
        roles = roles_missing(q.text, merge_evidence([u.evidence for u in ctx.units if u.passage.doc_id in docs])) \
            if q.kind == "name" and q.language == "de" else []
        if roles:
            return reject(f"the cited source calls nobody '{roles[0]}' (the question presupposes it)", sim)
        source_language = "de" if all(u.passage.language == "de" for u in units) else "other"
        siblings = german_siblings(q.text, q.language, local_text, source_language, self.dictionary)
        if siblings:
            return reject(f"comes from a cited sentence about '{siblings[0][1]}', not '{siblings[0][0]}' as "
                          "asked", sim, local_text)
        relevance = max(ctx.units[n - 1].question_relevance[k][i] for n, i in local)
        # the evidence picker's score of the claim's sentence (of a one-sentence source: a source of two
        # sentences has one score for both)
        picked = max((ctx.units[n - 1].passage.score for n, _ in local if len(ctx.units[n - 1].sentences) == 1),
                     default=float("-inf"))
        if ctx.best_question_relevance[k] - relevance > self.locality_margin and \
                ctx.best_evidence_score - picked > self.locality_evidence_margin:
            return reject("comes from a cited sentence that is not about the question (a neighbouring fact: "
                          f"relevance {relevance:.2f}, best {ctx.best_question_relevance[k]:.2f})", sim,
                          local_text)
        coverage = max(ctx.units[n - 1].question_coverage[k][i] for n, i in local)
        if ctx.best_question_coverage[k] - coverage > self.coverage_margin:
            return reject("comes from a cited sentence that lacks what the question is about (it shares "
                          f"{coverage:.0%} of the question's words, another sentence "
                          f"{ctx.best_question_coverage[k]:.0%})", sim, local_text)
        return items



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



def _reject(sentence: str, cited: list[int], reason: str) -> SentenceCheck:
    return SentenceCheck(sentence=sentence, cited=cited, accepted=False, reason=reason)


def _add_marker(sentence: str, n: int) -> str:
    m = re.search(r"[.!?…]+[\"'»«“”)]*$", sentence)
    return f"{sentence[: m.start()]} [{n}]{sentence[m.start():]}" if m else f"{sentence} [{n}]"


def _drop_markers(sentence: str, numbers: list[int]) -> str:
    for n in numbers:
        sentence = re.sub(rf"\s*\[{n}\]", "", sentence)
    return sentence.strip()
