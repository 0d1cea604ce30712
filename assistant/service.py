"""The assistant service: search, and ask (retrieve -> generate with citations -> verify), streamed or not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.citations import neutralise_prompt_text, neutralise_source_text, strip_markers
from assistant.errors import InputError
from assistant.gate import LLMGate
from assistant.llm import LLM
from assistant.models import Answer, Citation, DocumentInfo, Filters, Passage, Turn
from assistant.prompts import PromptLibrary
from assistant.retrieval import Mode, Retriever
from assistant.settings import Settings
from assistant.store import Store
from assistant.text import bm25_tokens, question_language
from assistant.verify import Verifier

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the LLM writes it (before verification)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The verified answer; always the last event of a stream."""

    answer: Answer


@dataclass(frozen=True)
class Progress:
    """The LLM wrote a piece that is not shown yet (a draft to be translated): lets a transport check that
    its client is still there while nothing visible happens."""


Event = Token | Final | Progress


class Assistant:
    """Answers questions from the ingested articles; the API, the UI and the eval all call this."""

    def __init__(self, settings: Settings, store: Store, retriever: Retriever, prompts: PromptLibrary,
                 verifier: Verifier, llm_factory: Callable[[], LLM], gate: LLMGate) -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.prompts = prompts
        self.verifier = verifier
        self._llm_factory = llm_factory
        self._llm: LLM | None = None
        self.gate = gate

    # --- models --------------------------------------------------------------------------------
    @property
    def llm(self) -> LLM:
        if self._llm is None:
            self._llm = self._llm_factory()
        return self._llm

    def warm_up(self) -> None:
        """Load the embedder, the BM25 index and the LLM now, and process every static prompt prefix once
        (llama.cpp keeps the states), so the first questions in either language do not pay for any of it
        (building BM25 over 100k chunks takes ~20 s)."""
        self.retriever.embedder.warm_up()
        self.retriever.bm25_index()
        with self.gate.slot():
            for name, lang in (("answer", "de"), ("answer", "en"), ("translate", "en"), ("translate", "de")):
                if not self.prompts.has(name, lang):
                    continue
                prompt = self.prompts.get(name, lang)
                values = {v: "" for v in prompt.variables}
                for _ in self._generate(prompt.messages(**values), 1):
                    pass

    # --- search --------------------------------------------------------------------------------
    def search(self, query: str, top_k: int | None = None, filters: Filters | None = None,
               mode: Mode | None = None, language: str | None = None) -> list[Passage]:
        query = _check_question(query)
        lang = language or question_language(query)
        return self.retriever.search(query, lang, top_k or self.settings.top_k, filters, mode)

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents()

    def document(self, doc_id: str) -> tuple[DocumentInfo, str] | None:
        return self.store.document_text(doc_id)

    def health(self) -> dict[str, Any]:
        docs = self.store.registered()
        return {
            "status": "ok",
            "documents": len(docs),
            "chunks": self.store.count_chunks(),
            "embedding_model": self.store.embed_model,
            "llm": self.settings.llm_model if self.settings.llm_backend == "openai" else self._llm_name(),
            "llm_backend": self.settings.llm_backend,
            "llm_waiting": self.gate.waiting,
        }

    def _llm_name(self) -> str:
        if self.settings.llm_model_path:
            return self.settings.llm_model_path.name
        return self.settings.llm_bundled

    # --- ask -----------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
            top_k: int | None = None, filters: Filters | None = None, mode: Mode | None = None) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(question, history, language, top_k, filters, mode):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None  # ask_stream always ends with Final
        return final

    def ask_stream(self, question: str, history: Sequence[Turn] = (), language: str | None = None,
                   top_k: int | None = None, filters: Filters | None = None,
                   mode: Mode | None = None) -> Iterator[Event]:
        """Token events while the LLM writes, then one Final event with the verified answer."""
        t_start = time.perf_counter()
        question = _check_question(question)
        lang = language if language in ("de", "en") else question_language(question)
        timings: dict[str, float] = {}
        standalone = question
        if history:
            t = time.perf_counter()
            standalone = self._standalone(question, history, lang)
            timings["condense_ms"] = _ms(t)

        t = time.perf_counter()
        k = top_k or self.settings.top_k
        passages = self.retriever.search(standalone, lang, max(k, self.settings.context_passages), filters, mode)
        sources = self._context(passages)
        timings["retrieve_ms"] = _ms(t)
        refusal = self.prompts.get("answer", lang).extra("refusal")
        if not sources:
            timings["total_ms"] = _ms(t_start)
            yield Final(Answer(answer=refusal, language=lang, answerable=False, citations=[], timings=timings,
                               standalone_question=standalone if history else None))
            return

        # Small models quote faithfully in the sources' language but mistranslate while answering
        # (seen: "nordamerikanisch" -> "United States"). When the sources are in another language than
        # the question, answer in theirs, verify, then translate the verified text and verify again.
        source_lang = _majority_language(sources)
        translate = source_lang != lang and self.prompts.has("answer", source_lang) \
            and self.prompts.has("translate", lang)
        answer_lang = source_lang if translate else lang
        prompt = self.prompts.get("answer", answer_lang)
        messages = prompt.messages(sources=self._render_sources(sources, prompt.extra("source_label")),
                                   question=neutralise_prompt_text(standalone))
        pieces: list[str] = []
        t_wait = time.perf_counter()
        with self.gate.slot():
            t = time.perf_counter()
            timings["queue_ms"] = round((t - t_wait) * 1000, 1)
            for piece in self._generate(messages, self.settings.llm_max_tokens):
                if not pieces and not translate:
                    timings["first_token_ms"] = _ms(t_start)
                pieces.append(piece)
                yield Progress() if translate else Token(piece)
            timings["generate_ms"] = _ms(t)
        raw = "".join(pieces)

        t = time.perf_counter()
        check = self.verifier.verify(raw, sources, prompt.extra("refusal"), answer_lang, standalone)
        timings["verify_ms"] = _ms(t)
        if translate and check.kept and question_language(strip_markers(check.text)) == lang:
            # The model answered in the question's language anyway: nothing to translate; check the text
            # again by that language's rules (in English every capitalised name is checked).
            translate = False
            again = self.verifier.verify(check.text, sources, refusal, lang, standalone)
            again.unsupported = check.unsupported + again.unsupported
            check = again
            if check.kept:
                timings["first_token_ms"] = _ms(t_start)
                yield Token(check.text)  # nothing was streamed while drafting: the verified text in one piece
        if translate and check.kept:
            t = time.perf_counter()
            draft = check.text
            pieces = []
            with self.gate.slot():
                tr_prompt = self.prompts.get("translate", lang)
                for piece in self._generate(tr_prompt.messages(text=draft), 2 * self.settings.llm_max_tokens):
                    if not pieces:
                        timings["first_token_ms"] = _ms(t_start)
                    pieces.append(piece)
                    yield Token(piece)
            timings["translate_ms"] = _ms(t)
            raw = f"{raw}\n---\n{''.join(pieces)}"
            t = time.perf_counter()
            translated = self.verifier.verify("".join(pieces), sources, refusal, lang, standalone)
            timings["verify_ms"] += _ms(t)
            translated.unsupported = check.unsupported + translated.unsupported
            check = translated
        timings["total_ms"] = _ms(t_start)
        unsupported = [f"{u.sentence} ({u.reason})" for u in check.unsupported]
        if not check.kept:
            answer = Answer(answer=refusal, language=lang, answerable=False, citations=[], unsupported=unsupported,
                            timings=timings, raw_answer=raw, standalone_question=standalone if history else None)
        else:
            citations = [Citation.from_passage(n, sources[n - 1]) for n in sorted(check.cited)]
            answer = Answer(answer=check.text, language=lang, answerable=True, citations=citations,
                            unsupported=unsupported, timings=timings, raw_answer=raw,
                            standalone_question=standalone if history else None)
        yield Final(answer)

    def _generate(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        return self.llm.stream(messages, max_tokens, self.settings.llm_timeout_s, self.settings.llm_temperature)

    def _context(self, passages: list[Passage]) -> list[Passage]:
        """The passages worth showing the LLM: relevant enough, close to the best one, at most N."""
        s = self.settings
        relevant = [p for p in passages if (p.dense_score or 0.0) >= s.min_relevance]
        if not relevant:
            return []
        best = relevant[0].score
        close = [p for p in relevant if p.score >= best - s.context_margin]
        return merge_overlapping(close)[: s.context_passages]

    @staticmethod
    def _render_sources(sources: list[Passage], label: str) -> str:
        lines = []
        for n, p in enumerate(sources, 1):
            meta = neutralise_source_text(", ".join(x for x in (p.outlet, p.date) if x))
            head = f"{label} [{n}]" + (f" ({meta})" if meta else "")
            lines.append(f"{head}: {neutralise_source_text(' '.join(p.text.split()))}")
        return "\n".join(lines)

    def _standalone(self, question: str, history: Sequence[Turn], lang: str) -> str:
        """Rewrite a follow-up into a question that retrieval can use on its own."""
        prompt = self.prompts.get("condense", lang)
        speaker = {"de": {"user": "Nutzer", "assistant": "Assistent"},
                   "en": {"user": "User", "assistant": "Assistant"}}[lang]
        recent = list(history)[-self.settings.history_turns:]
        rendered = neutralise_prompt_text(
            "\n".join(f"{speaker[t.role]}: {' '.join(t.content.split())[:600]}" for t in recent))
        with self.gate.slot():
            out = "".join(self._generate(
                prompt.messages(history=rendered, question=neutralise_prompt_text(question)), 64))
        line = out.strip().splitlines()[0].strip().strip('"„“«»') if out.strip() else ""
        if _keeps_question(line, question, lang):
            return line
        # Small models sometimes repeat the previous question instead of rewriting the new one: then
        # retrieve (and answer) with both, which still carries the missing referent.
        last_user = next((t.content for t in reversed(recent) if t.role == "user"), "")
        log.info("follow-up rewrite %r rejected; using the previous question as context", line)
        return f"{last_user.strip()} {question}".strip()


def _keeps_question(rewrite: str, question: str, lang: str) -> bool:
    """A usable rewrite is a single question of sane length that keeps most of the new question's words."""
    if not 5 <= len(rewrite) <= 400:
        return False
    asked = set(bm25_tokens(question, lang))
    if not asked:
        return True
    return len(asked & set(bm25_tokens(rewrite, lang))) >= max(1, len(asked) // 2)


def merge_overlapping(passages: list[Passage]) -> list[Passage]:
    """Join passages of one article whose spans overlap (neighbouring chunks share a sentence),
    so the LLM never reads the same sentence twice. Keeps the rank of the better passage."""
    out: list[Passage] = []
    for p in passages:
        for i, q in enumerate(out):
            if q.doc_id == p.doc_id and p.start < q.end and q.start < p.end:
                first, second = (q, p) if q.start <= p.start else (p, q)
                text = first.text if second.end <= first.end else first.text + second.text[first.end - second.start:]
                out[i] = q.model_copy(update={"text": text, "start": first.start, "end": max(first.end, second.end),
                                              "chunk_id": q.chunk_id, **_merged_pages(first, second)})
                break
        else:
            out.append(p)
    return out


def _merged_pages(first: Passage, second: Passage) -> dict[str, int | None]:
    """The page range of two joined passages of a paged article (PDF); nothing for other formats."""
    if first.page is None or second.page is None:
        return {}
    last = max(first.page_end or first.page, second.page_end or second.page)
    return {"page": first.page, "page_end": last if last != first.page else None}


def _majority_language(passages: list[Passage]) -> str:
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.language] = counts.get(p.language, 0) + 1
    return max(sorted(counts), key=lambda k: counts[k])


def _check_question(q: str) -> str:
    q = (q or "").strip()
    if not q:
        raise InputError("the question is empty; ask something about the articles")
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(f"the question has {len(q)} characters; at most {MAX_QUESTION_CHARS} are allowed")
    return q


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
