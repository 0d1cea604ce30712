"""Answer sentences that are no claim to keep: the refusal in any wording, and garbled generations."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from assistant.citations import strip_markers
from assistant.text import fold

_REPEATABLE = frozenset({"sich", "sein", "seine", "seiner", "ihre", "ihren", "dass", "wird", "werden", "wurde",
                         "haben", "hatte", "sind", "with", "that", "their", "have", "from", "this", "also",
                         "auch", "nicht", "eine", "einen", "einer", "prozent", "percent", "million", "millionen",
                         "milliarden", "billion", "euro", "jahr", "jahre", "year", "years", "oder", "sowie",
                         "which", "were", "will", "would", "dies", "diese", "dieser", "the"})
_REPEAT_NAME = re.compile(r"\b([A-ZÄÖÜ][\w-]+)\s+(?:und|and|sowie|&|,)\s+\1\b")


# A sentence saying that the sources do not hold something is a refusal, whatever its wording:
# "Die Quellen [1] und [2] geben keine Informationen über den Preis." is not a claim to keep and cite.
_NO_INFO = re.compile(
    r"\b(?:quellen?|artikeln?|texte?n?|passagen?|sources?|articles?|texts?|passages?)\b[^.!?]{0,80}"
    r"(?:\b(?:keine?n?|nicht|nichts)\b[^.!?]{0,60}\b(?:informationen?|angaben?|hinweise?|auskunft|erwähn\w*"
    r"|genannt|angegeben|enthalten|aussagen?)"
    r"|\b(?:do(?:es)?\s+not|don't|doesn't|no|neither|nor)\b[^.!?]{0,60}\b(?:information|mention\w*|say|says|state"
    r"|contain|provide|specify|specified|details?|data))\b"
    r"|^\W*(?:es\s+gibt\s+)?keine\s+(?:informationen|angaben)\b|^\W*(?:there\s+is\s+)?no\s+information\b"
    # the negation before the sources: "… wurde nicht in den Quellen angegeben", "… is not mentioned in the articles"
    r"|(?:\b(?:nicht|nirgends|keine?[nmrs]?)\b[^.!?]{0,40}\b(?:in|aus)\s+(?:den|der|dem|diesen|these|the)"
    r"|\b(?:in|aus)\s+keine[mr](?:\s+der)?)\s+(?:quellen?|artikeln?|texten|passagen|sources|articles|texts"
    r"|passages)\b[^.!?]{0,30}\b(?:angegeben|genannt|erwähnt|enthalten|aufgeführt|beschrieben|ersichtlich"
    r"|zu\s+finden|mentioned|given|stated|specified|provided|named|found|listed|included)\b"
    r"|\bnot\s+(?:\w+\s+){0,2}(?:mentioned|given|stated|specified|provided|named|found|listed|included)\s+in\s+"
    r"(?:the|these|any\s+of\s+the)\s+(?:sources|articles|texts|passages)\b",
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


_SHORT_SENTENCE_WORDS = 16


def garbled_reason(sentence: str, question: str = "", sources: Sequence[str] = ()) -> str | None:
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
    # a word three times, three words twice, or two words twice in a short sentence ("Die Bayern prüfen die
    # Japaner bei den Bayern im Leichtbau der Japaner"): more often than any source names them
    if any(parts[w] >= 3 for w in repeated) or len(repeated) >= 3 or \
            (len(repeated) == 2 and len(sentence.split()) <= _SHORT_SENTENCE_WORDS):
        return f"garbled ('{repeated[0]}' repeated)"
    return None


def echoed_example(sentence: str, names: Sequence[str], sources: Sequence[str]) -> str | None:
    """A name of the prompt's made-up examples ("Muster AG") that the sentence repeats although no source names it:
    a small model answers a hard question from its examples. The name, or None. Names match as whole words ("Muster
    AG", not "Muster Agentur")."""
    said, held = fold(sentence), fold("\n".join(sources))
    return next((n for n in names if (name := re.compile(rf"\b{re.escape(fold(n))}\b")).search(said)
                 and not name.search(held)), None)
