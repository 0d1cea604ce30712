"""Timelines: "Wie hat sich die Partnerschaft von BMW und Toyota entwickelt?", "What happened between Renault
and Nissan?" answered with the story's dated events in order, each one a sentence quoted from an article.

The timeline wording is taken off the question; what is left (the topic) is searched across articles
(``timeline_passages`` passages, copies of one story already shown once by the retriever). An article is on
the topic when it holds most of the topic's words, weighted by how rare they are among the retrieved
articles (so "Toyota" counts more than "Partnerschaft"; an English question counts only its names). Its
sentences that report something that happened - a named date, or a verb in a past tense - are events,
dated by ``assistant.eventdates``. The best ones are kept (the topic's words, a named date, the article's
lead, its passage's retrieval score), at most a few per article so that the story is told across articles,
near-identical sentences once (an older report of the same event is repeated as background in later
ones), then ordered by date. No LLM writes anything: every event is a sentence of its article, cited by
offsets, so it can be checked as it stands.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.citations import instructs
from assistant.eventdates import EventDate, event_date, format_date, in_past_tense, parse_iso, plans_only
from assistant.events import Event, Final, Sources
from assistant.models import Answer, AnswerTrace, Citation, DerivedFilter, Filters, Passage, Timeline, TimelineEvent
from assistant.retrieval import Retriever
from assistant.text import bm25_tokens, fold, sentence_spans

_TOPIC_PATTERNS = [
    re.compile(r"\bwie\s+(?:hat|haben)\s+sich\s+(?P<t>.+?)\s+(?:bisher\s+|seither\s+|seitdem\s+)?entwickelt\b", re.I),
    re.compile(r"\bwie\s+entwickelte[n]?\s+sich\s+(?P<t>.+)", re.I),
    re.compile(r"\bwas\s+(?:ist|geschah|passierte)\s+(?:alles\s+|bisher\s+)*zwischen\s+(?P<t>.+?)"
               r"(?:\s+(?:passiert|geschehen|vorgefallen))?\s*[?.!]*$", re.I),
    re.compile(r"\b(?:chronologie|chronik|zeitleiste|zeitstrahl|zeitliche[rn]?\s+ablauf|verlauf)\b"
               r"(?:\s+(?:der|des|von|vom|zu[mr]?|über|bei|im|in))?\s+(?P<t>.+)", re.I),
    re.compile(r"\bwie\s+(?:verlief|verliefen)\s+(?P<t>.+)", re.I),
    re.compile(r"\bwie\s+ging\s+es\s+(?:mit|bei)\s+(?P<t>.+?)\s+weiter\b", re.I),
    re.compile(r"\bwhat\s+(?:has\s+|have\s+)?happened\s+between\s+(?P<t>.+)", re.I),
    re.compile(r"\b(?:timeline|chronology|history)\s+(?:of|for|behind)\s+(?P<t>.+)", re.I),
    re.compile(r"\bhow\s+(?:did|has|have|had)\s+(?P<t>.+?)\s+(?:develop|developed|evolve|evolved|unfold|unfolded"
               r"|progress|progressed)\b", re.I),
    re.compile(r"\bsequence\s+of\s+events\s+(?:in|of|around|behind)\s+(?P<t>.+)", re.I),
]
# "Wie haben sich Umsatz und Gewinn von 2021 auf 2022 entwickelt?" compares figures: not a story.
_FIGURES = re.compile(
    r"\b(?:umsatz|umsätze|gewinn\w*|ebit\w*|ergebnis\w*|aktienkurs\w*|kurs|kurse|preis\w*|zahl\w*|anzahl|anteil\w*"
    r"|quote\w*|zins\w*|kosten|besucherzahl\w*|einnahmen|ausgaben|schulden|defizit\w*|mitgliederzahl\w*|revenue\w*"
    r"|profit\w*|earnings|sales|price\w*|shares?|stock|numbers?|figures?|costs?|rates?)\b"
    r"|\bvon\s+\d{4}\s+(?:auf|zu|bis)\s+\d{4}\b|\bfrom\s+\d{4}\s+to\s+\d{4}\b", re.I)
# "im Verlauf der Übernahme", "in the history of the EU": a preposition before the word makes it say when
# something else happened ("Welche Rolle spielte X im Verlauf der Übernahme?" asks for a role), not ask for one.
_PREPOSITION_BEFORE = re.compile(r"\b(?:im|in|beim|während|throughout|during|over)\s+"
                                 r"(?:(?:the|der|des|dem|den|weiteren|ganzen|gesamten|whole|entire)\s+)?$", re.I)
_QUESTION_WORDS = re.compile(r"^(?:die|der|das|den|dem|des|the|a|an)\s+", re.I)
# The span a question asks about ("von seiner Vorstellung bis zu seiner Entlassung", "seit 2019", "so far")
# says when, not what: it is no part of the topic.
_SPAN = re.compile(r"\s+(?:(?:von|vom|ab|seit|from|since|between)\s+(?:\S+\s+){0,5}?(?:bis|to|until|and)\s+.*"
                   r"|(?:seit|since|bis|until)\s+(?:\S+\s+)?(?:\d{4}|heute|jetzt|now|today)"
                   r"|bis\s+heute|bisher|so\s+far|until\s+now|in\s+den\s+letzten\s+\S+\s+\S+|over\s+the\s+last\s+\S+(?:\s+\S+)?)$",
                   re.I)
_OPENING_QUOTE = re.compile(r"^\s*[„\"«»“]")
# What others made of it: a reaction is not an event of the story.
_REACTION = re.compile(r"\b(?:zeigten?\s+sich|sprach(?:en)?\s+von|reagierten?|kritisierten?|begrüßten?|lobten?"
                       r"|bedauerten?|warnten?|äußerten?|kommentierten?|bewerteten?|halten?\s+den|hielt(?:en)?"
                       r"|welcomed|criticised|criticized|reacted|praised|warned)\b", re.I)
_MIN_WORDS, _MAX_WORDS = 5, 60


def timeline_topic(question: str) -> str | None:
    """What a timeline question is about ("die Partnerschaft von BMW und Toyota"), or None when the question
    asks for something else (a fact, or how some figures changed)."""
    text = " ".join(question.split())
    for pattern in _TOPIC_PATTERNS:
        m = pattern.search(text)
        if m and _PREPOSITION_BEFORE.search(text[: m.start()]):
            continue
        if m:  # the question without its timeline wording ("How did things develop at X?" -> "things at X")
            rest = " ".join(x.strip(" ?.!,;:") for x in (text[: m.start()], m.group("t"), text[m.end():]))
            topic = _QUESTION_WORDS.sub("", " ".join(rest.split()))
            topic = _SPAN.sub("", topic) or topic
            if not topic or _FIGURES.search(topic):
                return None
            return topic
    return None


def is_timeline_question(question: str) -> bool:
    return timeline_topic(question) is not None


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    start: int  # article offsets
    end: int
    text: str
    date: EventDate
    coverage: float
    lead: bool  # the article's first sentence


class TimelineBuilder:
    """Builds timelines from retrieved passages (see module docstring)."""

    def __init__(self, retriever: Retriever, passages: int = 30, max_events: int = 10, min_relevance: float = 0.8,
                 min_relevance_cross: float = 0.76, min_article_coverage: float = 0.6, per_article: int = 4,
                 same_event: float = 0.6, same_event_same_date: float = 0.3, close_to_best: float = 0.02,
                 lexical_weight: float = 0.3, same_event_same_day: float = 0.25,
                 named_date_bonus: float = 0.2, lead_bonus: float = 0.1) -> None:
        self.retriever = retriever
        self.passages = passages
        self.max_events = max_events
        self.min_relevance = min_relevance
        self.min_relevance_cross = min_relevance_cross
        self.min_article_coverage = min_article_coverage
        self.per_article = per_article
        self.same_event = same_event  # token Jaccard above which two sentences report one event
        self.same_event_same_date = same_event_same_date  # the same, for two sentences dated in one month
        self.same_event_same_day = same_event_same_day  # ... and for two with exactly the same date
        self.close_to_best = close_to_best
        self.lexical_weight = lexical_weight
        self.named_date_bonus = named_date_bonus
        self.lead_bonus = lead_bonus

    def build(self, question: str, language: str, filters: Filters | None = None,
              top_k: int | None = None) -> Timeline:
        """The timeline for ``question`` (a question that ``timeline_topic`` does not recognise is searched as
        it stands)."""
        t0 = time.perf_counter()
        topic = timeline_topic(question) or question
        passages = self.retriever.search(topic, language, max(top_k or 0, self.passages), filters)
        relevant = [p for p in passages if (p.dense_score or 0.0) >= (
            self.min_relevance if p.language == language else self.min_relevance_cross)]
        t1 = time.perf_counter()
        words = _topic_words(topic, language)
        on_topic = self._on_topic(relevant, words)
        candidates = self._candidates([p for p in relevant if p.doc_id in on_topic], words)
        chosen = self._choose(candidates)
        chosen.sort(key=lambda c: (c.date.sort, _article_key(c.passage), c.start))
        events = [TimelineEvent(date=c.date.iso, date_source=c.date.source, date_phrase=c.date.phrase, text=c.text,
                                citation=Citation.from_passage(n, c.passage.model_copy(update={
                                    "text": c.text, "start": c.start, "end": c.end,
                                    "score": round(c.passage.score, 4)})))
                  for n, c in enumerate(chosen, 1)]
        timings = {"retrieve_ms": _ms(t0, t1), "events_ms": _ms(t1, time.perf_counter()),
                   "total_ms": _ms(t0, time.perf_counter())}
        return Timeline(question=question, language="en" if language == "en" else "de", topic=topic, events=events,
                        timings=timings)

    def _on_topic(self, passages: list[Passage], words: list[str]) -> set[str]:
        """The articles holding most of the topic's words (weighted by rarity among the retrieved articles;
        words no article holds tell nothing apart), or holding some of them and retrieved about as well as
        the best article (a compound the articles do not use: "Regierungsbildung" vs "Koalitionsvertrag")."""
        docs: dict[str, set[str]] = {}
        best: dict[str, float] = {}
        for p in passages:
            docs.setdefault(p.doc_id, set()).update(_tokens(p.title + "\n" + p.text))
            best[p.doc_id] = max(best.get(p.doc_id, 0.0), p.dense_score or 0.0)
        present = {d: {w for w in words if _matches(w, toks)} for d, toks in docs.items()}
        words = [w for w in words if any(w in p for p in present.values())]
        if not words:
            return set(docs)
        n = len(docs)
        weight = {w: math.log(1 + n / (1 + sum(w in p for p in present.values()))) + 0.1 for w in words}
        total = sum(weight.values())
        top = max(best.values())
        out = set()
        for d, held in present.items():
            coverage = sum(weight[w] for w in held) / total
            if coverage >= self.min_article_coverage or (held and best[d] >= top - self.close_to_best):
                out.add(d)
        return out

    def _candidates(self, passages: list[Passage], words: list[str]) -> list[_Candidate]:
        seen: set[tuple[str, int]] = set()
        out: list[_Candidate] = []
        for p in passages:
            for s, e in sentence_spans(p.text):
                sentence = p.text[s:e]
                key = (p.doc_id, p.start + s)
                n_words = len(sentence.split())
                if key in seen or not _MIN_WORDS <= n_words <= _MAX_WORDS or sentence.endswith("?") \
                        or _OPENING_QUOTE.match(sentence) or instructs(sentence):
                    continue
                seen.add(key)
                when = event_date(sentence, p.date)
                lead = p.start + s == 0
                if when is None or (when.source == "article" and not in_past_tense(sentence) and not lead) \
                        or (not lead and (plans_only(sentence) or _REACTION.search(sentence))):
                    continue  # undated, a state of affairs, a plan or a reaction (unless it is the article's news)
                toks = _tokens(sentence)
                coverage = sum(_matches(w, toks) for w in words) / len(words) if words else 0.0
                if not lead and coverage == 0 and when.source == "article":
                    continue  # neither about the topic by its words nor dated by itself: a detail
                out.append(_Candidate(p, p.start + s, p.start + e, sentence, when, coverage, lead))
        return out

    def _same_event(self, a: _Candidate, b: _Candidate) -> float:
        """The word overlap above which two sentences report one event: lower the closer their dates."""
        if a.date.iso == b.date.iso and a.date.source == b.date.source == "sentence":
            return self.same_event_same_day
        return self.same_event_same_date if _same_month(a, b) else self.same_event

    def _choose(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """The best events, a few per article, each event once: ranked by their passage's retrieval score
        plus the share of topic words, a date the sentence names (it reaches back in time, which is what a
        timeline is for) and being the article's lead."""
        def score(c: _Candidate) -> float:
            return (c.passage.score + self.lexical_weight * c.coverage
                    + self.named_date_bonus * (c.date.source == "sentence") + self.lead_bonus * c.lead)

        per_article = self.per_article
        ranked = sorted(candidates, key=lambda c: (-score(c), c.passage.chunk_id, c.start))
        chosen: list[_Candidate] = []
        per_doc: dict[str, int] = {}
        for c in ranked:
            if len(chosen) >= self.max_events:
                break
            if per_doc.get(c.passage.doc_id, 0) >= per_article:
                continue
            toks = set(_tokens(c.text))
            if any(_jaccard(toks, set(_tokens(o.text))) >= self._same_event(c, o) for o in chosen):
                continue  # the same event, told again (often as background in a later report)
            chosen.append(c)
            per_doc[c.passage.doc_id] = per_doc.get(c.passage.doc_id, 0) + 1
        return chosen


def timeline_text(timeline: Timeline) -> str:
    """The readable answer: one line per event, "12. Mai 2022: <sentence> [1]"."""
    lang = timeline.language
    head = "Chronologie aus den Artikeln:" if lang == "de" else "Timeline from the articles:"
    lines = [f"- {format_date(e.date, lang)}: {' '.join(e.text.split())} [{e.citation.n}]" for e in timeline.events]
    return "\n".join([head, *lines])


def _topic_words(topic: str, language: str) -> list[str]:
    """The topic's content words as folded stems; for an English question over German articles only its names
    can be found in the text (capitalised words, acronyms, numbers)."""
    if language == "en":
        names = re.findall(r"\b(?:[A-ZÄÖÜ][\w-]+|\d{2,})\b", topic)
        return list(dict.fromkeys(t for n in names for t in _tokens(n)))
    return list(dict.fromkeys(_tokens(topic)))


def _tokens(text: str) -> list[str]:
    return [fold(t) for t in bm25_tokens(text, "de")]


def _matches(word: str, tokens: list[str] | set[str]) -> bool:
    """The word, or a compound holding it ("neubau" in "ersatzneubau"), or a stem it starts with."""
    if word in tokens:
        return True
    if len(word) < 5:
        return False
    return any(t.startswith(word) or (len(t) >= 5 and word.startswith(t)) or (len(word) >= 6 and word in t)
               for t in tokens)


def _same_month(a: _Candidate, b: _Candidate) -> bool:
    """Both dated to a month at least, and the dates can be the same day."""
    return len(a.date.iso) >= 7 and len(b.date.iso) >= 7 and (a.date.iso.startswith(b.date.iso)
                                                                 or b.date.iso.startswith(a.date.iso))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _article_key(p: Passage) -> tuple[int, int, int]:
    parsed = parse_iso(p.date)
    return (parsed[0], parsed[1] or 0, parsed[2] or 0) if parsed else (0, 0, 0)


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 1)


def timeline_answer(timeline: Timeline, refusal: str, rewritten: str | None, elapsed_ms: float,
                    applied: list[DerivedFilter] | None = None) -> Iterator[Event]:
    """A timeline question's answer in the chat: the events as the answer text, their sources as its citations."""
    citations = [e.citation for e in timeline.events]
    yield Sources(citations)
    timings = {**timeline.timings, "sources_ms": elapsed_ms, "total_ms": elapsed_ms}
    trace = AnswerTrace(question_kind="timeline", evidence=citations, mode="timeline",
                        refusal_cause=None if citations else "no_relevant_passage")
    yield Final(Answer(answer=timeline_text(timeline) if citations else refusal, language=timeline.language,
                       answerable=bool(citations), citations=citations, timings=timings,
                       standalone_question=rewritten, trace=trace,
                       timeline=timeline.events if citations else None, applied_filters=applied or []))
