"""Evidence in context: a chosen sentence widened by its neighbours, and where an article's sentences begin and end.

A row of single sentences is hard reading for a small model; the sentence after and the one before (within
the paragraph, never an instruction to the model) give it the context (see assistant/evidence.py). A sentence
that announces reasons or items ("Für die Mehrkosten gibt es zwei Gründe.") says none of them: the sentences
after it do (``announced``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.citations import instructs
from assistant.models import Passage
from assistant.text import sentence_spans

# a sentence that announces what the next says: several reasons, causes or items, or a colon at its end
_ANNOUNCES = re.compile(
    r"\b(?:zwei|drei|vier|fünf|mehrere[n]?|verschiedene[n]?|folgende[n]?|zahlreiche[n]?|two|three|four|five|several"
    r"|various|the\s+following|a\s+number\s+of)\s+(?:\w+(?:e|en|er)\s+)?(?:gründe[n]?|ursachen|faktoren|punkte[n]?"
    r"|bedingungen|auflagen|forderungen|reasons|causes|factors|conditions|demands)\b|:\s*$", re.IGNORECASE)


def widen(units: list[Passage], article_text: Callable[[str], str | None], budget: float,
           used: int) -> list[Passage]:
    """Each unit, best first, with the sentence after it and then the one before it in its article (same
    paragraph), while the evidence stays within ``budget`` characters: a small model reads a sentence in
    its context better than a row of single sentences."""
    out = list(units)
    texts = {doc: article_text(doc) for doc in dict.fromkeys(u.doc_id for u in units)}  # one read per article
    for step in ("next", "previous"):
        for n, u in enumerate(out):
            text = texts[u.doc_id]
            if text is None or text[u.start:u.end] != u.text:
                continue
            if step == "next":
                end = next_sentence_end(text, u.end)
                start = u.start
            else:
                start, end = previous_sentence_start(text, u.start), u.end
            extra = (end - u.end) + (u.start - start)
            if extra <= 0 or used + extra > budget or instructs(text[start:end]):
                continue
            used += extra
            out[n] = u.model_copy(update={"text": text[start:end], "start": start, "end": end})
    return out


def previous_sentence_start(text: str, start: int) -> int:
    """Where the sentence before offset ``start`` starts (``start`` if there is none or a paragraph break is in
    between). Sentences never cross a line break, so only the last line with text before ``start`` is split:
    ingest asks this for every sentence that refers back, in articles of any length."""
    last = len(text[:start].rstrip()) - 1  # the last character of the previous sentence
    if last < 0:
        return start
    line = text.rfind("\n", 0, last) + 1
    spans = sentence_spans(text[line:start])
    prev_start, prev_end = spans[-1][0] + line, spans[-1][1] + line
    return prev_start if "\n\n" not in text[prev_end:start] else start  # not across a paragraph break


def next_sentence_end(text: str, end: int) -> int:
    """Where the sentence after offset ``end`` ends (``end`` if there is none or a paragraph break is in
    between)."""
    rest = text[end:]
    start = end + len(rest) - len(rest.lstrip())
    if start >= len(text) or "\n\n" in text[end:start]:
        return end
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    spans = sentence_spans(text[start:line_end])
    return start + spans[0][1] if spans else end


def announces(sentence: str) -> bool:
    """Whether a sentence announces reasons or items that the next ones give ("… nannte mehrere Gründe.", "Dafür
    gibt es zwei Gründe.", "… folgende Auflagen:"); not when the sentence gives them itself after a colon."""
    m = _ANNOUNCES.search(sentence)
    return m is not None and ":" not in sentence[m.end():].rstrip()[:-1]


def announced_count(sentence: str) -> int:
    """How many sentences after an announcing one give what it announces: one after a colon ending it, else two."""
    return 1 if sentence.rstrip().endswith(":") else 2


def announced(text: str, end: int, sentence: str) -> tuple[int, tuple[str, ...]]:
    """The sentences after an announcing ``sentence`` that ends at ``end`` (two; one after a colon ending it;
    within its paragraph, never an instruction to the model), and where the last of them ends."""
    after: list[str] = []
    for _ in range(announced_count(sentence)):
        following = next_sentence_end(text, end)
        said = text[end:following].strip()
        if following <= end or not said or instructs(said):
            break
        end = following
        after.append(said)
    return end, tuple(after)
