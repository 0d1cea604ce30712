"""The sources and the question of one verification, prepared and embedded once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.citations import mask_instructions
from assistant.coverage import lexical_coverage
from assistant.embeddings import VectorEmbedding
from assistant.evidence import refers_back
from assistant.grounding import EvidenceText, evidence_text
from assistant.models import Passage
from assistant.questions import QuestionInfo
from assistant.text import sentence_spans

_LOCAL_MARGIN = 0.03  # evidence sentences this close to the best match count as where a sentence comes from


@dataclass
class SourceUnit:
    """One numbered source: its text (instructions masked), sentences and their vectors."""

    passage: Passage
    text: str
    sentences: list[str]
    evidence: EvidenceText
    vector: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    # per question asked (the whole question, then each of its parts): each sentence's relevance and word coverage
    question_relevance: list[list[float]] = field(default_factory=list)
    question_coverage: list[list[float]] = field(default_factory=list)


class VerificationContext:
    """Everything one verification needs about the sources and the question, embedded once."""

    def __init__(self, embedder: VectorEmbedding, sources: list[Passage], question: QuestionInfo | None) -> None:
        self.embedder = embedder
        self.sources = sources
        self.question = question
        # what the answer may answer: the question, and each question of two in one (QuestionInfo.parts)
        self.asked: list[QuestionInfo] = [question, *question.parts] if question is not None else []
        self.units = []
        for p in sources:
            text = mask_instructions(p.text, mask="")  # an injected instruction supports nothing
            sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
            # the source's outlet and date are what the prompt shows with it ("Quelle [1] (Reuters, 2018)")
            meta = " ".join(x for x in (p.title, p.outlet or "", p.date or "") if x)
            self.units.append(SourceUnit(p, text, sentences, evidence_text(f"{meta} {text}")))
        self.claim_vectors: dict[str, np.ndarray] = {}
        self.best_question_relevance: list[float] = [0.0] * len(self.asked)
        self.best_question_coverage: list[float] = [0.0] * len(self.asked)
        self.best_evidence_score = max((p.score for p in sources), default=0.0)

    def embed(self, claims: list[str]) -> None:
        """Embed the claims, the question and every source sentence in one batch."""
        texts = [c for c in dict.fromkeys(claims) if c not in self.claim_vectors]
        unit_texts = [u.text for u in self.units if u.vector is None]
        sentences = [s for u in self.units if u.sentence_vectors is None for s in u.sentences]
        q = [a.text for a in self.asked] if not self.units_ready else []
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
            for k, (asked, qv) in enumerate(zip(self.asked, vecs[i:], strict=False)):
                self._relevance(k, asked, qv)

    def _relevance(self, k: int, asked: QuestionInfo, qv: np.ndarray) -> None:
        """Each source sentence's relevance to question ``k`` of ``asked`` (dense + word coverage)."""
        for u in self.units:
            assert u.sentence_vectors is not None
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
            lexical = lexical_coverage(asked, texts)
            u.question_coverage.append(lexical)
            u.question_relevance.append([float(v @ qv) + 0.15 * lx for v, lx in zip(vectors, lexical, strict=True)])
        self.best_question_relevance[k] = max(r for u in self.units for r in u.question_relevance[k])
        self.best_question_coverage[k] = max(c for u in self.units for c in u.question_coverage[k])

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
        """The source sentence closest in meaning to the claim, among the cited sources: where a dropped
        sentence was most likely written from."""
        self.embed([claim])
        cv = self.claim_vectors[claim]
        scored = []
        for n in cited:
            vectors = self.units[n - 1].sentence_vectors
            assert vectors is not None
            scored += [(float(v @ cv), n, i) for i, v in enumerate(vectors)]
        _, n, i = max(scored)
        return n, self.units[n - 1].sentences[i]
