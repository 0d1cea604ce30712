"""A quoted answer instead of a wrong refusal: the evidence sentence itself, when it clearly holds the answer.

A small model's draft can fail verification although an evidence sentence answers the question (it
mistranslated a word, took the wrong number, answered from the wrong sentence). Then the best evidence
sentence is shown as the answer, quoted and cited, when it states an item of the kind the question asks
for (the verifier's own test: a date for "when", a number for "how many", a name for "who", a reason for
"why", something beyond the question's words otherwise) and is clearly about the question: its relevance
score is high and, in the question's language, it contains most of the question's content words. An
English question is told that the quote is from a German source. Otherwise the answer stays "not in the
sources". A question about several figures, names or places may be answered by the sentences of up to three
sources, each quoted and cited (the shares of three parties stated in two sentences); a sentence that announces
reasons is quoted with the sentences that give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer_items import answer_items
from assistant.compounds import german_siblings
from assistant.coverage import lexical_coverage
from assistant.dictionary import Dictionary
from assistant.evidence import refers_back
from assistant.evidence_window import announced_count, announces
from assistant.grounding import states_cause
from assistant.models import Passage
from assistant.questions import QuestionInfo, has_enumeration
from assistant.text import fold, sentence_spans

_INTRO = {
    ("de", "de"): "Laut der Quelle: „{text}“ [{n}]",
    ("en", "en"): 'According to the source: "{text}" [{n}]',
    ("en", "de"): 'The German source [{n}] says: „{text}“',
    ("de", "en"): "Laut der englischen Quelle [{n}]: „{text}“",
}
# several sentences quoted for a question about several things: each quoted, then its source number
_INTRO_SEVERAL = {
    ("de", "de"): "Laut den Quellen: {parts}",
    ("en", "en"): "According to the sources: {parts}",
    ("en", "de"): "The German sources say: {parts}",
    ("de", "en"): "Laut den englischen Quellen: {parts}",
}
_MARKS = {"de": ("„", "“"), "en": ('"', '"')}
# the kinds whose items tell sentences apart (a figure, a name, a place): for a list or a plain fact any grounded
# word is an item, and the other sources' sentences added noise (dev: a lead sentence beside the list of stops)
_WIDENED_KINDS = frozenset({"number", "name", "place"})


@dataclass(frozen=True)
class QuotePart:
    """One quoted span: the source number and the span within that evidence unit's text."""

    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """A quoted answer: its text (with the [n] markers), the first source number, and why it was chosen. A
    question about several things may get further sentences from other sources (``more``)."""

    text: str
    n: int
    reason: str
    start: int = 0  # the quoted span within the evidence unit's text
    end: int = 0
    more: tuple[QuotePart, ...] = ()

    @property
    def parts(self) -> tuple[QuotePart, ...]:
        """Every quoted span, the first one first."""
        return (QuotePart(self.n, self.start, self.end), *self.more)


class Quoter:
    """Decides whether an evidence sentence can stand as the answer (see module docstring)."""

    def __init__(self, min_relevance: float, min_relevance_cross: float, min_coverage: float = 0.5,
                 candidates: int = 2, min_coverage_cross: float = 0.0, dictionary: Dictionary | None = None,
                 parts_several: int = 1) -> None:
        self.dictionary = dictionary  # German words for an English question's words (assistant/dictionary.py)
        self.parts_several = parts_several  # most sentences quoted for a question about several things
        self.min_relevance = min_relevance
        self.min_relevance_cross = min_relevance_cross
        self.min_coverage = min_coverage
        self.min_coverage_cross = min_coverage_cross
        self.candidates = candidates

    def quote(self, info: QuestionInfo, evidence: list[Passage], language: str,
              cited: Sequence[int] = (), written_from: Sequence[tuple[int, str]] = (),
              cause: str = "the draft failed verification", avoid: Sequence[str] = ()) -> Quote | None:
        """The quoted answer from an evidence unit that clearly holds the answer, or None. First the sentences
        the rejected draft was written from (``written_from``: source number and sentence; the model usually
        finds the right sentence even when it words the answer wrongly; a sentence of the same unit that states such
        an item and holds more of the question's words is taken instead), then the units it cited, then the
        best-scored ones. ``cause`` (why the draft is not the answer) opens the quote's reason. No sentence in
        ``avoid`` is quoted: the verifier dropped a draft written from it as a neighbouring fact, not what the
        question is about. A question about several figures, names or places gets the sentences of other sources
        too that state further ones and are about the question (``parts_several``): they are often spread over
        sources ("Welche Parteien …, und wie viel Prozent bekamen sie jeweils?")."""
        first = self._first(info, evidence, language, cited, written_from, cause, avoid)
        if first is None or self.parts_several <= 1 or not info.several or info.kind not in _WIDENED_KINDS:
            return first
        return self._widened(first, info, evidence, language, avoid)

    def _widened(self, first: Quote, info: QuestionInfo, evidence: list[Passage], language: str,
                 avoid: Sequence[str]) -> Quote:
        """``first`` with the best sentences of the other sources that are about the question and state items
        it does not (most relevant first), up to ``parts_several`` sentences in all."""
        parts = [first.parts[0]]
        head = evidence[first.n - 1]
        said = {fold(i) for i in _items(head.text[first.start:first.end], info, head.language, self.dictionary)}
        for n, unit in sorted(enumerate(evidence, 1), key=lambda x: -x[1].score):
            if len(parts) >= self.parts_several:
                break
            if any(p.n == n for p in parts) or not self._about(info, unit, language):
                continue
            found = _holding_sentence(info, unit, avoid, self.dictionary)
            if found is None:
                continue
            (start, end), items = found
            if {fold(i) for i in items} <= said:
                continue  # states nothing the quote does not already state
            parts.append(QuotePart(n, start, end))
            said |= {fold(i) for i in items}
        if len(parts) == 1:
            return first
        return Quote(_several_text(parts, evidence, language), first.n, f"{first.reason}; for a question about "
                     f"several things also sources {', '.join(f'[{p.n}]' for p in parts[1:])}",
                     first.start, first.end, tuple(parts[1:]))

    def _first(self, info: QuestionInfo, evidence: list[Passage], language: str, cited: Sequence[int],
               written_from: Sequence[tuple[int, str]], cause: str, avoid: Sequence[str]) -> Quote | None:
        """The one quoted sentence (see ``quote``)."""
        for n, sentence in written_from:
            unit = evidence[n - 1] if 1 <= n <= len(evidence) else None
            span = _sentence_span(unit, sentence) if unit is not None and self._about(info, unit, language) else None
            if unit is None or span is None:
                continue
            items = _items(unit.text[span[0]:span[1]], info, unit.language, self.dictionary)
            better = _holding_sentence(info, unit, avoid, self.dictionary) if items else None
            if better is not None and better[0] != span and self._coverage(info, unit.text[slice(*better[0])]) > \
                    self._coverage(info, unit.text[span[0]:span[1]]):
                span, items = better  # a sentence of the unit that is more about the question states such an item
            if items:
                return self.quote_span(n, unit, span[0], span[1], language,
                                       f"{cause}; the sentence of source [{n}] it was "
                                       f"written from states a {info.kind} ({items[0]}) and the source is about "
                                       f"the question (relevance {unit.score:.2f})")
        ranked = [n for n, _ in sorted(enumerate(evidence, 1), key=lambda x: -x[1].score)][: self.candidates]
        best = max(u.score for u in evidence)
        pointed = [n for n in cited if 1 <= n <= len(evidence) and evidence[n - 1].score >= best - 0.05]
        order = list(dict.fromkeys(pointed + ranked))
        for n in order:
            unit = evidence[n - 1]
            if not self._about(info, unit, language):
                continue
            found = _holding_sentence(info, unit, avoid, self.dictionary)
            if found is None:
                continue
            (start, end), items = found
            return self.quote_span(n, unit, start, end, language,
                                   f"{cause}; source [{n}] states a {info.kind} ({items[0]}) "
                                   f"and is about the question (relevance {unit.score:.2f})")
        return None

    def _about(self, info: QuestionInfo, unit: Passage, language: str) -> bool:
        """Whether the unit is clearly about the question: relevance score and question words (English question
        words meet German ones through the glossary, but not all do)."""
        same = unit.language == language
        if unit.score < (self.min_relevance if same else self.min_relevance_cross):
            return False
        return self._coverage(info, unit.text) >= (self.min_coverage if same else self.min_coverage_cross)

    def _coverage(self, info: QuestionInfo, text: str) -> float:
        """The weighted share of the question's words in ``text`` (the glossary and dictionary across languages)."""
        return lexical_coverage(info, [text], False, self.dictionary)[0]

    @staticmethod
    def quote_span(n: int, unit: Passage, start: int, end: int, language: str, reason: str) -> Quote:
        """``unit.text[start:end]`` as a quoted answer citing [n]."""
        text = " ".join(unit.text[start:end].split())
        intro = _INTRO.get((language, unit.language), _INTRO[(language, language)])
        return Quote(intro.format(text=text, n=n), n, reason, start, end)


def _several_text(parts: Sequence[QuotePart], evidence: list[Passage], language: str) -> str:
    """The quoted sentences of several sources, each in quotation marks and cited."""
    languages = {evidence[p.n - 1].language for p in parts}
    source = languages.pop() if len(languages) == 1 else language
    open_, close = _MARKS.get(source, _MARKS["de"])
    quoted = " ".join(f"{open_}{' '.join(evidence[p.n - 1].text[p.start:p.end].split())}{close} [{p.n}]"
                      for p in parts)
    return _INTRO_SEVERAL.get((language, source), _INTRO_SEVERAL[(language, language)]).format(parts=quoted)


def _holding_sentence(info: QuestionInfo, unit: Passage, avoid: Sequence[str] = (),
                      dictionary: Dictionary | None = None) -> tuple[tuple[int, int], list[str]] | None:
    """The sentence of the unit (with its predecessor when it refers back, with the sentences after it when it
    announces them) that states an item of the kind asked for, the one with most of the question's words first;
    its span in ``unit.text``, and the items."""
    spans = sentence_spans(unit.text) or [(0, len(unit.text))]
    options = []
    for i, (s, e) in enumerate(spans):
        if any(unit.text[s:e].strip() in a for a in avoid):
            continue
        start = spans[i - 1][0] if i and refers_back(unit.text[s:e]) else s
        if announces(unit.text[s:e]):  # "… gibt es zwei Gründe.": with the sentences that give them
            e = spans[min(i + announced_count(unit.text[s:e]), len(spans) - 1)][1]
        items = _items(unit.text[start:e], info, unit.language, dictionary)
        if items:
            coverage = lexical_coverage(info, [unit.text[start:e]], False, dictionary)[0]
            options.append((coverage, -i, (start, e), items))
    if not options:
        return None
    _, _, span, items = max(options)
    return span, items


def _items(sentence: str, info: QuestionInfo, language: str, dictionary: Dictionary | None = None) -> list[str]:
    """What the sentence states of the kind the question asks for; for a question about several things
    ("Welche Modelle …?") only a sentence that lists something counts ("Das zentrale Angebot ist die
    nächste Frontier-Plattform." names one thing and answers no "which models"); nothing from a sentence about a
    sibling of what the question asks about ("Privatkunden" for "Firmenkunden": assistant/compounds.py)."""
    if info.kind == "list" and not has_enumeration(sentence):
        return []
    if german_siblings(info.text, info.language, sentence, language, dictionary):
        return []
    if info.kind == "reason" and not states_cause(sentence, language):
        return []  # a sentence without a connective may tell the event in many new words, but no reason
    return answer_items(sentence, info, sentence, language)


def _sentence_span(unit: Passage, sentence: str) -> tuple[int, int] | None:
    """The span of ``sentence`` in the unit's text (with its predecessor when it refers back), or None."""
    start = unit.text.find(sentence.strip())
    if start < 0 or not sentence.strip():
        return None
    end = start + len(sentence.strip())
    if refers_back(sentence):
        before = [s for s, e in sentence_spans(unit.text) if e <= start]
        start = before[-1] if before else start
    return start, end
