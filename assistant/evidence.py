"""Evidence sentences: the few sentences of the retrieved passages that answer the question.

The LLM reads these instead of whole chunks (fewer prompt tokens: each costs ~25 ms on two cores, and a
small model is less distracted), and the verifier checks answers against them. Each sentence is scored by
its dense similarity to the question (multilingual e5, so English questions meet German sentences) plus
the share of the question's content words it contains (weighted by how rare they are among the
candidates, so "Leichtbau" counts more than "BMW"). A sentence that starts by referring back ("Die beiden
Autobauer …", "Er …"), also after a fronted time ("Im Dezember hatten die Konzerne …"), brings its predecessor
along; one that announces reasons or items ("Für die Mehrkosten gibt es zwei Gründe.") brings the two sentences
after it, which give them. Offsets stay article offsets, so a citation points at
exactly the sentence(s) the answer came from. The sentences' vectors are read from the ones ingest kept
(assistant/sentence_vectors.py, the texts of ``article_sentence_texts``): only the question is embedded then.

The sentence that answers is often not in a retrieved chunk although its article is ("Beide Seiten wollen sich
am 3. Juli … treffen" for "Wann kommen … wieder an den Verhandlungstisch?": the chunk's other sentences are about
something else). With ``article_chunks`` > 0 the best article's other chunks nearest the question give
candidates too, ranked as the weakest retrieved passage. Off by default: the gold passage reached the evidence
more often, but the 1.5B model answered no better (test 43 -> 40 of 125; a larger model behind
ASSISTANT_LLM_BACKEND=openai may gain from it, not measured). With ``window`` > 0 each chosen unit is widened by
the sentence after it, then the one before it, within its paragraph, while the evidence stays within ``window`` x
the budget. Off by default: test 43 -> 41 of 125 at 1.5, for ~2.8 s more before the first token (eval/HISTORY.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from assistant.citations import instructs
from assistant.coverage import lexical_coverage
from assistant.dictionary import Dictionary
from assistant.embeddings import VectorEmbedding
from assistant.evidence_window import announced, announces, previous_sentence_start, widen
from assistant.grounding import CAUSE_WORDS
from assistant.models import Chunk, Passage
from assistant.questions import QuestionInfo
from assistant.sentence_vectors import SentenceVectors
from assistant.text import sentence_spans

# Sentence openings that refer back to the previous sentence: it is needed to understand this one.
_ANAPHORA = re.compile(
    r"^(?:[„\"«»(]\s*)?(?:er|sie|es|ihm|ihr|ihn|ihnen|sein|seine[mnrs]?|ihre[mnrs]?|deren|dessen|denen|dort|damals"
    r"|dabei|damit|dafür|dazu|daher|deshalb|darum|davon|darauf|daraufhin|dagegen|demnach|denn|his|its|their"
    r"|doch|jedoch|allerdings|trotzdem|dennoch|stattdessen|zuvor|vorher|später|seitdem|so|because|however|but"
    r"|danach|zudem|außerdem|ebenfalls|auch|diese[rsmn]?|dies|jene[rsmn]?|beide[n]?|die\s+beiden|der\s+konzern"
    r"|das\s+unternehmen|der\s+hersteller|die\s+firma|der\s+verein|die\s+stadt|he|she|it|they|there|this|these"
    r"|those|the\s+two|both|the\s+company|the\s+group)\b", re.IGNORECASE)
# The same after a fronted time or place ("Im Dezember hatten die Konzerne …", "Am Donnerstag hatte der Konzern
# mitgeteilt …"): German puts the subject after the verb there, and it refers back just as well.
_FRONTED_ANAPHORA = re.compile(
    r"^(?:im|am|in|an|auf|nach|seit|bis|vor|zuvor|damals|dann|nun|jetzt|zudem|außerdem|danach|später|inzwischen"
    r"|bereits|schon|zunächst|anschließend|erst)\b[^,.;:!?]{0,40}?\b(?:die\s+beiden|beide|die\s+(?:konzerne"
    r"|unternehmen|firmen|hersteller|autobauer|partner|seiten|parteien|vereine)|der\s+(?:konzern|hersteller"
    r"|autobauer|verein)|das\s+unternehmen|die\s+firma|sie|er)\b",
    re.IGNORECASE,
)
_MIN_WORDS = 4  # headlines and fragments ("GHOSN'S VISION WEG") answer nothing on their own

# An article's other chunks: (doc_id, chunk ids to leave out, question vector) -> its passages, each scored by
# its dense similarity to the question.
Siblings = Callable[[str, Sequence[str], np.ndarray], list[Passage]]


@dataclass(frozen=True)
class Unit:
    """A sentence of a passage, or its predecessor and the sentence when it refers back (article offsets)."""

    at: int  # where the sentence itself starts: one article's units are told apart by it
    start: int
    end: int
    text: str
    sentences: tuple[str, ...]  # the sentences of ``text``: one, or the predecessor and the sentence


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with article offsets."""

    passage: Passage
    start: int  # article offsets
    end: int
    text: str
    sentences: tuple[str, ...]  # the sentences of ``text``: one, or the predecessor and the sentence


class EvidencePicker:
    """Picks and scores evidence sentences for a question (see module docstring)."""

    def __init__(self, embedder: VectorEmbedding, lexical_weight: float = 0.1, margin: float = 0.12,
                 max_units: int = 4, max_units_several: int = 5, candidate_passages: int = 5,
                 max_chars: int = 600, max_chars_cross: int = 900, passage_weight: float = 0.5,
                 kind_bonus: float = 0.05, sentence_vectors: SentenceVectors | None = None,
                 article_chunks: int = 0, window: float = 0.0, dictionary: Dictionary | None = None) -> None:
        self.embedder = embedder
        self.dictionary = dictionary  # German words for an English question's words (assistant/dictionary.py)
        self.sentence_vectors = sentence_vectors  # sentence vectors kept at ingest: then only the question is embedded
        self.lexical_weight = lexical_weight
        self.passage_weight = passage_weight
        self.kind_bonus = kind_bonus
        self.embed_title = True  # "title: sentence" tells sentences of the right article apart
        self.max_chars = max_chars
        self.max_chars_cross = max_chars_cross
        self.margin = margin
        self.max_units = max_units
        self.max_units_several = max_units_several
        self.candidate_passages = candidate_passages
        self.article_chunks = article_chunks
        self.window = window  # > 0: chosen sentences widened by their neighbours within window x the budget

    def pick(self, info: QuestionInfo, passages: list[Passage], article_text: Callable[[str], str | None],
             siblings: Siblings | None = None) -> list[Passage]:
        """The evidence units for ``info`` (best first) as passages whose text is one sentence, or two when
        the sentence needs its predecessor; ``score`` is the unit's relevance to the question. ``siblings``
        gives the best article's other chunks (see module docstring)."""
        top = passages[: self.candidate_passages]
        candidates = self._candidates(top + self._siblings(info, top, siblings), article_text)
        if not candidates:
            return []
        scores = self._scores(info, candidates)
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].passage.chunk_id,
                                                              candidates[i].start))
        best = scores[order[0]]
        several = info.several or info.kind == "list"
        limit = self.max_units_several if several or info.parts else self.max_units
        cross = any(c.passage.language != info.language for c in candidates)
        budget = (self.max_chars_cross if cross else self.max_chars) * (1.5 if several else 1.0)
        chosen: list[int] = []
        used = 0
        for i in order:
            if scores[i] < best - self.margin or len(chosen) >= limit:
                break
            if chosen and used + len(candidates[i].text) > budget:
                continue  # too long for the prompt budget; a shorter sentence further down may still fit
            chosen.append(i)
            used += len(candidates[i].text)
        if several:
            chosen = self._spread(chosen, order, candidates, scores, best, limit)
        if info.parts:
            chosen = self._each_part(info, chosen, candidates, limit)
        units = [candidates[i].passage.model_copy(update={
            "text": candidates[i].text, "start": candidates[i].start, "end": candidates[i].end,
            "score": round(float(scores[i]), 4)}) for i in chosen]
        if self.window > 0:
            units = widen(units, article_text, budget * self.window, sum(len(u.text) for u in units))
        return _merge_touching(units)

    def _siblings(self, info: QuestionInfo, top: list[Passage], siblings: Siblings | None) -> list[Passage]:
        """The best article's other chunks nearest the question, scored as the weakest retrieved passage (the
        search did not rank them: their sentences must win on their own relevance)."""
        if siblings is None or not top or self.article_chunks <= 0:
            return []
        doc = top[0].doc_id
        found = siblings(doc, [p.chunk_id for p in top if p.doc_id == doc], self.embedder.query_vector(info.text))
        floor = min(p.score for p in top)
        nearest = sorted(found, key=lambda p: (-p.score, p.start))[: self.article_chunks]
        return [p.model_copy(update={"score": floor, "dense_score": p.score}) for p in nearest]

    def relevance(self, info: QuestionInfo, sentences: list[str]) -> list[float]:
        """Dense similarity of each text to the question plus the weighted share of question words."""
        if not sentences:
            return []
        dense = self.embedder.passages(sentences) @ self.embedder.query_vector(info.text)
        lexical = lexical_coverage(info, sentences, dictionary=self.dictionary)
        return [float(d) + self.lexical_weight * lx for d, lx in zip(dense, lexical, strict=True)]

    def _scores(self, info: QuestionInfo, candidates: list[Candidate]) -> list[float]:
        """Each candidate's relevance. Sentences are embedded one by one (a unit of two sentences gets the
        normalised sum of their vectors), so nothing is embedded twice."""
        sentences = list(dict.fromkeys(s for c in candidates for s in c.sentences))
        titles = {s: c.passage.title for c in candidates for s in c.sentences}
        texts = [sentence_text(titles[s] if self.embed_title else "", s) for s in sentences]
        embedded = self.sentence_vectors.embed(texts, self.embedder) if self.sentence_vectors is not None \
            else self.embedder.passages(texts)
        vectors = dict(zip(sentences, embedded, strict=True))
        query = self.embedder.query_vector(info.text)
        lexical = lexical_coverage(info, [c.text for c in candidates], dictionary=self.dictionary)
        top = max(c.passage.score for c in candidates)
        out = []
        for c, lx in zip(candidates, lexical, strict=True):
            v = np.sum([vectors[s] for s in c.sentences], axis=0)
            score = float(v @ query / (np.linalg.norm(v) or 1.0)) + self.lexical_weight * lx
            score += self.passage_weight * (c.passage.score - top)  # the retriever ranked its passage
            told = c.sentences if info.kind == "reason" else c.sentences[-1:]  # also a sentence brought along
            if self.kind_bonus and any(holds_kind(info, x) for x in told):
                score += self.kind_bonus
            out.append(score)
        return out

    @staticmethod
    def _candidates(passages: list[Passage], article_text: Callable[[str], str | None]) -> list[Candidate]:
        """Every sentence of the passages once; a sentence that refers back comes with its predecessor."""
        seen: set[tuple[str, int]] = set()
        texts: dict[str, str | None] = {}

        def article(doc_id: str) -> str | None:
            if doc_id not in texts:
                texts[doc_id] = article_text(doc_id)
            return texts[doc_id]

        out: list[Candidate] = []
        for p in passages:
            for u in passage_units(p.text, p.start, partial(article, p.doc_id)):
                if (p.doc_id, u.at) not in seen:  # a sentence repeated by the next chunk counts once
                    seen.add((p.doc_id, u.at))
                    out.append(Candidate(p, u.start, u.end, u.text, u.sentences))
        return out

    def _each_part(self, info: QuestionInfo, chosen: list[int], candidates: list[Candidate], limit: int) -> list[int]:
        """Two questions in one: the sentence that answers each part best is evidence, right after the best one
        for the whole question (scored against the whole, the sentence about the second part may rank low)."""
        if limit < 2:
            return chosen  # one unit: the whole question's best
        for part in info.parts:
            scores = self._scores(part, candidates)
            top = max(range(len(candidates)), key=lambda i: (scores[i], -i))
            if top not in chosen:
                chosen = chosen[:1] + [top] + chosen[1: limit - 1]
        return chosen

    @staticmethod
    def _spread(chosen: list[int], order: list[int], candidates: list[Candidate], scores: list[float],
                best: float, limit: int) -> list[int]:
        """For questions about several items: make sure a second article is represented when its best
        sentence is close to the best one (the items may be spread over articles)."""
        docs = {candidates[i].passage.doc_id for i in chosen}
        for i in order:
            if scores[i] < best - 2 * 0.06:
                break
            doc = candidates[i].passage.doc_id
            if doc not in docs:
                docs.add(doc)
                chosen = (chosen[: limit - 1] if len(chosen) >= limit else chosen) + [i]
        return chosen


def passage_units(text: str, start: int, article_text: Callable[[], str | None]) -> Iterator[Unit]:
    """The evidence units of a passage (``text`` at article offset ``start``): each sentence that is no fragment
    and gives the model no instructions; one that refers back with its predecessor (``article_text()``, asked
    only then, may lie before the passage)."""
    for s, e in sentence_spans(text):
        sentence = text[s:e]
        if len(sentence.split()) < _MIN_WORDS or instructs(sentence):
            continue  # a fragment, or an instruction to the model
        at = start + s
        unit = Unit(at, at, start + e, sentence, (sentence,))
        if refers_back(sentence):
            article = article_text()
            if article is not None and article[at : start + e] == sentence:
                prev = previous_sentence_start(article, at)
                if prev < at and not instructs(article[prev:at]):
                    unit = Unit(at, prev, start + e, article[prev : start + e], (article[prev:at].strip(), sentence))
        if announces(sentence):  # "… gibt es zwei Gründe.": with the sentences that give them
            article = article_text()
            if article is not None and article[unit.start : unit.end] == unit.text:
                end, after = announced(article, unit.end, sentence)
                if after:
                    unit = Unit(unit.at, unit.start, end, article[unit.start : end], (*unit.sentences, *after))
        yield unit


def sentence_text(title: str, sentence: str) -> str:
    """What the embedder sees for an evidence sentence: "title: sentence" tells the right article's apart."""
    return f"{title}: {sentence}" if title else sentence


def article_sentence_texts(title: str, text: str, chunks: Iterable[Chunk]) -> list[str]:
    """Every text the picker may embed for a passage of this article (each once): what ingest embeds ahead."""
    out: dict[str, None] = {}
    for c in chunks:
        for u in passage_units(c.text, c.start, lambda: text):
            out.update((sentence_text(title, s), None) for s in u.sentences)
    return list(out)


_YEAR_MONTH = re.compile(
    r"(?<![\d.,])(?:1[89]\d\d|20\d\d)(?!\d)|\b(?:januar|februar|märz|april|mai|juni|juli|august|september"
    r"|oktober|november|dezember|january|february|march|may|june|july|october|december|montag|dienstag"
    r"|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|frühjahr|sommer|herbst|winter|quartal|woche|monat|jahr)\w*", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
_REASON = re.compile(r"\b(?:" + CAUSE_WORDS + r"|um\s+\w+\s+zu|gründen|due\s+to|causes|faktoren|factors)\b", re.I)


def holds_kind(info: QuestionInfo, sentence: str) -> bool:
    """Whether a sentence can hold the kind of item the question asks for (a date, a number, a reason)."""
    if info.kind == "date":
        return bool(_YEAR_MONTH.search(sentence))
    if info.kind == "number":
        return bool(_DIGITS.search(sentence))
    if info.kind == "reason":
        return bool(_REASON.search(sentence))
    return False


def refers_back(sentence: str) -> bool:
    """Whether a sentence opens by referring to the one before ("Er …", "Die beiden Autobauer …")."""
    return bool(_ANAPHORA.match(sentence) or _FRONTED_ANAPHORA.match(sentence))


def _merge_touching(units: list[Passage]) -> list[Passage]:
    """Units of one article that overlap (a sentence and its predecessor chosen twice) become one."""
    out: list[Passage] = []
    for u in units:
        for i, o in enumerate(out):
            if o.doc_id == u.doc_id and u.start < o.end and o.start < u.end:
                if u.start < o.start or u.end > o.end:
                    first, second = (o, u) if o.start <= u.start else (u, o)
                    text = first.text + second.text[first.end - second.start:] if second.end > first.end \
                        else first.text
                    out[i] = o.model_copy(update={"text": text, "start": first.start,
                                                  "end": max(first.end, second.end)})
                break
        else:
            out.append(u)
    return out
