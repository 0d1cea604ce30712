"""Events a question's dates are relative to ("vor der Insolvenz von GM"), and the words that find them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import date_words as words
from assistant.date_atoms import Atom, Span
from assistant.date_words import Relation
from assistant.text import bm25_tokens


@dataclass(frozen=True)
class EventAnchor:
    """A date relative to an event ("vor der Insolvenz von GM"): the index has to date the event."""

    relation: Relation
    words: str  # "Insolvenz von GM"
    span: Span


def find_event(text: str, atoms: list[Atom | Span]) -> EventAnchor | None:
    """"vor der Insolvenz von GM", "after Ghosn's arrest", "seit der Pandemie": a relation and the event's
    words, when the words name an event (a known event noun, or a German compound ending in one)."""
    for m in words.EVENT_PREP.finditer(text):
        if any(a.start <= m.end() < a.end for a in atoms):
            continue
        rest = text[m.end():]
        tokens = [(t.start(), t.end(), t.group()) for t in words.TOKEN.finditer(rest)][:10]
        i = 1 if tokens and tokens[0][2].lower() in words.DETERMINERS else 0
        first = i
        noun = None
        for j in range(i, min(i + 4, len(tokens))):
            word = tokens[j][2]
            low = word.lower().rstrip("'’s") if word.endswith(("'s", "’s")) else word.lower()
            if not re.fullmatch(r"[\w'’.-]+", word) or low in words.STOP:
                break
            if words.is_event(word):
                noun = j
                break
        if noun is None:
            continue
        end = noun
        k = noun + 1
        if k < len(tokens) and tokens[k][2].lower() in words.COMPLEMENT:
            k += 1
            if k < len(tokens) and tokens[k][2].lower() in words.DETERMINERS:
                k += 1
            names = k
            while k < len(tokens) and k - names < 3 and re.fullmatch(r"[A-ZÄÖÜ][\w'’.-]*", tokens[k][2]):
                k += 1
            if k > names:
                end = k - 1
        start, stop = m.end() + tokens[first][0], m.end() + tokens[end][1]
        relation = words.EVENT_RELATION[m["prep"].split()[0].lower()]
        return EventAnchor(relation, text[start:stop], Span(m.start(), stop, text[m.start():stop]))
    return None


def event_terms(words: str, language: str) -> list[str]:
    """The BM25 terms an article must contain to mention the event."""
    return list(dict.fromkeys(bm25_tokens(words, language)))
