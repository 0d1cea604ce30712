"""The assistant service: search, and ask (retrieve -> generate with citations -> verify), streamed or not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import numpy as np

from assistant.admission import LLMAdmission
from assistant.citations import neutralise_prompt_text, render_sources
from assistant.date_filters import DateFilters, DatePlan, replace_filter
from assistant.errors import InputError
from assistant.events import Event, EventStream, Final, Sources, Token
from assistant.evidence import EvidencePicker
from assistant.followups import Standalone, standalone_question
from assistant.llm import LLM
from assistant.modelfiles import bundled_file_name
from assistant.models import (
    Answer,
    AnswerTrace,
    Citation,
    DerivedFilter,
    DocumentInfo,
    Filters,
    Language,
    Passage,
    RefusalCause,
    Timeline,
    TokenUsage,
    Turn,
    is_language,
)
from assistant.prime import static_prompts
from assistant.prompts import PromptLibrary
from assistant.quote import Quoter
from assistant.retrieval import Mode, Retriever
from assistant.settings import Settings
from assistant.settle import settle_draft, settled_answer
from assistant.store import Store
from assistant.text import question_language
from assistant.timeline import TimelineBuilder, timeline_answer, timeline_topic
from assistant.verify import Verifier

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Hits:
    """Search results, and the filters taken from the query's words (dates, newest first)."""

    passages: list[Passage]
    applied_filters: list[DerivedFilter]


class Assistant:
    """Answers questions from the ingested articles; the API, the UI and the eval all call this."""

    def __init__(self, settings: Settings, store: Store, retriever: Retriever, prompts: PromptLibrary,
                 evidence: EvidencePicker, verifier: Verifier, quoter: Quoter, llm_factory: Callable[[], LLM],
                 admission: LLMAdmission, dates: DateFilters, timelines: TimelineBuilder | None = None) -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.prompts = prompts
        self.evidence = evidence
        self.verifier = verifier
        self.quoter = quoter
        self._llm_factory = llm_factory
        self._llm: LLM | None = None
        self.admission = admission
        self.dates = dates
        self.timelines = timelines

    # --- models --------------------------------------------------------------------------------
    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._llm = self._llm_factory()
        return self._llm

    def warm_up(self) -> None:
        """Load the embedder, the BM25 index, the dictionary and the LLM now, and have every static prompt prefix
        processed (restored from disk when an earlier start saved it): the first questions pay for none of it."""
        t0 = t = time.perf_counter()

        def step(what: str, t: float) -> None:
            log.info("start-up: %s (%.1f s, %.1f s in all)", what, time.perf_counter() - t, time.perf_counter() - t0)

        self.retriever.embedder.warm_up()
        step(f"embedder {self.retriever.embedder.model_name} loaded", t)
        t = time.perf_counter()
        self.retriever.bm25_index()
        step(f"BM25 index of {self.store.count_chunks()} chunks ready", t)
        t = time.perf_counter()
        step(self.evidence.dictionary.describe() if self.evidence.dictionary else "no dictionary", t)
        t = time.perf_counter()
        warm = getattr(self.llm, "warm_up", None)
        if warm:
            warm()
        step(f"LLM {self.llm.name} loaded", t)
        t = time.perf_counter()
        static = static_prompts(self.prompts)
        with self.admission.slot():
            prime = getattr(self.llm, "prime", None)
            if prime:
                done = prime(static)
            else:
                for messages in static:
                    for _ in self._generate(messages, 1):
                        pass
                done = ["computed"] * len(static)
        step(f"static prompts processed ({', '.join(done)})", t)

    # --- search --------------------------------------------------------------------------------
    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None,
               mode: Mode | None = None, language: str | None = None) -> list[Passage]:
        query = _check_question(query)
        lang = language or question_language(query)
        return self.retriever.search(query, lang, top_k or self.settings.retrieval.top_k, filters, mode)

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents()

    def document(self, doc_id: str) -> tuple[DocumentInfo, str] | None:
        return self.store.document_text(doc_id)

    def health(self) -> dict[str, Any]:
        """Counts and the models that serve: ``llm`` is the GGUF file llama.cpp runs (``llm_bundled``: its key
        when it is a bundled one) or the model name asked of the OpenAI-compatible server. Nothing is loaded."""
        llm = self.settings.llm
        bundled = llm.bundled if llm.backend == "llama-cpp" and llm.model_path is None else None
        if llm.backend == "openai":
            name = llm.model
        else:  # the file build_llm runs, named without assembling it
            name = llm.model_path.name if llm.model_path else bundled_file_name(llm.bundled)
        return {
            "status": "ok",
            "documents": self.store.count_documents(),  # counted, not read: health checks come every few seconds
            "chunks": self.store.count_chunks(),
            "embedding_model": self.store.embed_model,
            "llm": name,
            "llm_bundled": bundled,
            "llm_backend": llm.backend,
            "llm_waiting": self.admission.waiting,
        }

    # --- timelines (issue 12.3; assistant/timeline.py) --------------------------------------------
    def timeline(self, question: str, language: str | None = None, top_k: int | None = None,
                 filters: Filters | None = None) -> Timeline:
        """The dated events of the story the question names, in order, each one a cited article sentence."""
        question = _check_question(question)
        lang = language if is_language(language) else question_language(question)
        if self.timelines is None:
            raise InputError("timelines are not available in this assistant")
        return self.timelines.build(question, lang, filters, top_k)

    def _timeline_answer(self, question: str, lang: Language, top_k: int | None, filters: Filters | None,
                         derive: bool, reference: date | None, refusal: str, rewritten: str | None,
                         t_start: float) -> Iterator[Event]:
        """A timeline question asked in the chat: its events within the dates its words name ('seit 2019', 'vor
        der Übernahme'), over all dates (and saying so) when that period holds none. A timeline is in date
        order whatever the question says, so "newest first" is reported as ignored."""
        assert self.timelines is not None
        plan = self.dates.plan(question, lang, filters, derive, reference)
        timeline = self.timelines.build(question, lang, plan.filters, top_k)
        if not timeline.events and plan.narrowed:
            plan = plan.widened(question)
            timeline = self.timelines.build(question, lang, plan.filters, top_k)
        applied = [replace_filter(f, applied=False, status="ignored", note="a timeline lists its events oldest first")
                   if f.kind == "newest_first" and f.applied else f for f in plan.applied]
        yield from timeline_answer(timeline, refusal, rewritten, _ms(t_start), applied)

    # --- ask -----------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
            top_k: int | None = None, filters: Filters | None = None, mode: Mode | None = None,
            derive_dates: bool = True, reference_date: date | None = None) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(question, history, language, top_k, filters, mode, derive_dates,
                                     reference_date):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None  # ask_stream always ends with Final
        return final

    def ask_stream(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
                   top_k: int | None = None, filters: Filters | None = None,
                   mode: Mode | None = None, derive_dates: bool = True,
                   reference_date: date | None = None) -> EventStream:
        """One Sources event as soon as the evidence is chosen, Token events while the LLM writes, then one
        Final event with the verified answer (see assistant/verify.py) or a refusal, and the tokens the LLM
        processed for it (``usage``). Dates in the question filter the articles unless ``derive_dates`` is False
        (see assistant/date_filters.py)."""
        calls: list[TokenUsage | None] = []
        with closing(self._ask_events(question, history, language, top_k, filters, mode, derive_dates,
                                      reference_date, partial(self._generate, calls=calls))) as events:
            for event in events:
                yield Final(event.answer.model_copy(update={"usage": TokenUsage.total(calls)})) \
                    if isinstance(event, Final) else event

    def _ask_events(self, question: str, history: Sequence[Turn], language: str | None, top_k: int | None,
                    filters: Filters | None, mode: Mode | None, derive_dates: bool, reference_date: date | None,
                    generate: Callable[[list[dict[str, str]], int], Iterator[str]]) -> EventStream:
        t_start = time.perf_counter()
        question = _check_question(question)
        lang: Language = language if is_language(language) else question_language(question)
        timings: dict[str, float] = {}
        made = Standalone(question, question)
        if history:
            t = time.perf_counter()
            made = standalone_question(question, history, lang, self.prompts, self.admission, generate,
                                       self.settings.retrieval.history_turns)
            timings["condense_ms"] = _ms(t)
        standalone = made.text
        info = made.analysed(lang)
        prompt = self.prompts.get("answer", lang)
        refusal = prompt.extra("refusal")
        rewritten = standalone if history else None
        if self.timelines is not None and self.settings.timeline.in_ask and timeline_topic(standalone):  # issue 12.3
            yield from self._timeline_answer(standalone, lang, top_k, filters, derive_dates, reference_date,
                                             refusal, rewritten, t_start)
            return

        t = time.perf_counter()
        k = top_k or self.settings.retrieval.top_k
        depth = max(k, self.settings.retrieval.context_passages)
        relevant, dated = self._relevant_dated(standalone, lang, depth, filters, mode, derive_dates, reference_date)
        timings["retrieve_ms"] = _ms(t)
        t = time.perf_counter()
        evidence = self.evidence.pick(info, relevant, self._article_text, self._siblings) if relevant else []
        timings["evidence_ms"] = _ms(t)
        citations = [Citation.from_passage(n, e) for n, e in enumerate(evidence, 1)]
        if not evidence:
            timings["sources_ms"] = timings["total_ms"] = _ms(t_start)
            yield Sources(citations)
            cause: RefusalCause = "no_evidence_sentence" if relevant else "no_relevant_passage"
            trace = AnswerTrace(question_kind=info.kind, mode="refused", refusal_cause=cause)
            yield Final(Answer(answer=refusal, language=lang, answerable=False, citations=[], timings=timings,
                               standalone_question=rewritten, trace=trace, applied_filters=dated.applied))
            return

        messages = prompt.messages(sources=render_sources(evidence, prompt.extra("source_label")),
                                   question=neutralise_prompt_text(standalone))
        pieces: list[str] = []
        with self.admission.queue() as place:  # a full queue says "busy" now, before the sources are sent
            timings["sources_ms"] = _ms(t_start)
            yield Sources(citations)
            t_wait = time.perf_counter()
            place.wait()
            t = time.perf_counter()
            timings["queue_ms"] = round((t - t_wait) * 1000, 1)
            for piece in generate(messages, self.settings.llm.max_tokens):
                if not pieces:
                    timings["first_token_ms"] = _ms(t_start)
                pieces.append(piece)
                yield Token(piece)
            timings["generate_ms"] = _ms(t)
        draft = "".join(pieces)
        cut_off = len(pieces) >= self.settings.llm.max_tokens or \
            timings["generate_ms"] >= self.settings.llm.timeout_s * 1000

        t = time.perf_counter()
        check, quote = settle_draft(self.verifier, self.quoter, self.settings.quote, draft, evidence, info,
                                    lang, refusal, cut_off)
        timings["verify_ms"] = _ms(t)
        timings["total_ms"] = _ms(t_start)
        trace = AnswerTrace(question_kind=info.kind, evidence=citations, draft=draft, draft_language=lang,
                            cut_off=cut_off, checks=check.checks, mode="generated")
        yield Final(settled_answer(check, quote, citations, trace, lang=lang, refusal=refusal, timings=timings,
                                   rewritten=rewritten, applied=dated.applied))

    # --- dates from the question (assistant/date_filters.py) ---------------------------------------
    def search_with_dates(self, query: str, top_k: int | None = None, filters: Filters | None = None,
                          mode: Mode | None = None, language: str | None = None, derive_dates: bool = True,
                          reference_date: date | None = None) -> Hits:
        """``search``, with the dates (and "newest") the query's words ask for, and what became of them."""
        query = _check_question(query)
        lang = language or question_language(query)
        plan = self.dates.plan(query, lang, filters, derive_dates, reference_date)
        hits = self.retriever.search(plan.query, lang, top_k or self.settings.retrieval.top_k, plan.filters, mode)
        return Hits(plan.order_hits(hits), plan.applied)

    def _relevant_dated(self, question: str, lang: str, depth: int, filters: Filters | None, mode: Mode | None,
                        derive: bool, reference: date | None) -> tuple[list[Passage], DatePlan]:
        """The relevant passages within the question's dates; over all dates (and saying so) when that period
        holds nothing relevant; also those of other dates naming the period when one is closer to the question
        (``DatePlan.telling``); the newest article's when the question asks for the newest."""
        plan = self.dates.plan(question, lang, filters, derive, reference)
        relevant = self.relevant(self.retriever.search(plan.query, lang, depth, plan.filters, mode), lang)
        if plan.narrowed:
            wide = plan.widened(question)
            # one search over all dates, deep enough for the passages ``telling`` keeps (the first ``depth`` hits
            # are those of a search for ``depth``: the candidate pools do not depend on it)
            hits = self.retriever.search(wide.query, lang, 4 * depth, wide.filters, mode)
            everywhere = self.relevant(hits[:depth], lang)
            if not relevant:
                plan, relevant = wide, everywhere
            elif (telling := plan.telling(question, everywhere, relevant)) is not None:
                # an event of the question's period, reported later: the period's articles and those naming it
                plan, relevant = telling, self.relevant(telling.kept(hits), lang)
        return plan.order_relevant(relevant), plan

    def relevant(self, passages: list[Passage], language: str) -> list[Passage]:
        """The passages relevant enough to answer from: dense similarity above the floor of their language
        pair (an English question scores lower against a German passage than a German one does)."""
        s = self.settings
        out = [p for p in passages
               if (p.dense_score or 0.0) >= (s.retrieval.min_relevance if p.language == language
                                             else s.retrieval.min_relevance_cross)]
        return out[: self.evidence.candidate_passages]

    def _article_text(self, doc_id: str) -> str | None:
        found = self.store.document_text(doc_id)
        return found[1] if found else None

    def _siblings(self, doc_id: str, exclude: Sequence[str], vector: np.ndarray) -> list[Passage]:
        """An article's chunks other than ``exclude``, scored by their similarity to ``vector``."""
        left_out = set(exclude)
        ids = [i for i in self.store.chunk_ids(doc_id) if i not in left_out]
        return list(self.store.scored_passages(vector, ids).values())

    def _generate(self, messages: list[dict[str, str]], max_tokens: int,
                  calls: list[TokenUsage | None] | None = None) -> Iterator[str]:
        """The LLM's reply; appends to ``calls`` what its backend counted (None: it does not say)."""
        llm = self.llm
        yield from llm.stream(messages, max_tokens, self.settings.llm.timeout_s, self.settings.llm.temperature)
        if calls is not None:
            calls.append(getattr(llm, "last_usage", None))


def _check_question(q: str) -> str:
    q = (q or "").strip()
    if not q:
        raise InputError("the question is empty; ask something about the articles")
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(f"the question has {len(q)} characters; at most {MAX_QUESTION_CHARS} are allowed")
    return q


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
