"""The citation contract: sources are numbered 1..n; ``[n]`` markers are normalised, parsed and bounds-checked."""

from __future__ import annotations

import re

from assistant.models import Passage
from assistant.text import sentence_spans, split_sentences

# "[1]", "[1, 2]", "[1][2]", "[Quelle 1]", "[Source 2, 3]", "(Quelle 1)" -> normalised to "[1]" / "[1][2]"
_LOOSE = re.compile(
    r"[\[(]\s*(?:(?:Quelle|Quellen|Source|Sources)\s*)?(\d{1,3}(?:\s*(?:,|;|and|und|&)\s*\d{1,3})*)\s*[\])]",
    re.IGNORECASE,
)
_LABELLED_PAREN = re.compile(r"\(\s*(?:Quelle|Quellen|Source|Sources)\s*\d", re.IGNORECASE)
MARKER = re.compile(r"\[(\d{1,3})\]")


def normalise_markers(text: str) -> str:
    """Rewrite the citation spellings small models produce into ``[n]`` markers."""

    def repl(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole.startswith("(") and not _LABELLED_PAREN.match(whole):
            return whole  # a plain "(2018)" is not a citation
        nums = re.findall(r"\d{1,3}", m.group(1))
        return "".join(f"[{n}]" for n in nums)

    return _LOOSE.sub(repl, text)


def markers(text: str) -> list[int]:
    """The source numbers cited in ``text``, in order, without duplicates."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def split_valid(numbers: list[int], n_sources: int) -> tuple[list[int], list[int]]:
    """(numbers within 1..n_sources, numbers outside it). ``[0]`` is never valid."""
    valid = [n for n in numbers if 1 <= n <= n_sources]
    return valid, [n for n in numbers if not 1 <= n <= n_sources]


def strip_markers(text: str) -> str:
    """``text`` without citation markers (for judging what a sentence claims)."""
    return re.sub(r"\s*\[\d{1,3}\]", "", text).strip()


def sentences_with_markers(answer: str) -> list[str]:
    """The answer's sentences with their (normalised) ``[n]`` markers: '... arbeiten. [1]' splits into a sentence
    and a lone '[1]', which goes back to its sentence."""
    out: list[str] = []
    for s in split_sentences(normalise_markers(answer).strip()):
        if out and not strip_markers(s) and markers(s):
            out[-1] = out[-1] + " " + s
        else:
            out.append(s)
    return out


_SPECIAL = re.compile(r"<\|[^|<>]{0,40}\|>")
_BLOCK_TAG = re.compile(r"</?\s*(?:sources|quellen)\s*>", re.IGNORECASE)


def neutralise_prompt_text(text: str) -> str:
    """Text from users or articles must not produce chat-template tokens (``<|im_start|>``) or close the
    ``<sources>``/``<quellen>`` block: such sequences are defused into visibly similar plain text."""
    text = _SPECIAL.sub(lambda m: m.group().replace("<|", "‹").replace("|>", "›"), text)
    return _BLOCK_TAG.sub(lambda m: m.group().replace("<", "‹").replace(">", "›"), text)


# Sentences that address the model rather than report news ("Ignore all previous instructions ...").
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:instructions?|prompts?|rules)\b"
    r"|\b(?:ignorier\w*|vergiss|vergessen\s+sie|missachte\w*)\b[^.!?\n]{0,60}"
    r"\b(?:anweisung\w*|vorgabe\w*|regeln|instruktion\w*)\b"
    r"|\byou\s+are\s+now\b|\bdu\s+bist\s+(?:jetzt|nun|ab\s+sofort)\b"
    r"|\b(?:answer|reply|respond)\s+(?:only\s+|every\s+question\s+)?with\s+(?:the\s+)?(?:single\s+)?word\b"
    r"|\bantworte\w*\s+(?:nur|ausschließlich|immer)\s+mit\b",
    re.IGNORECASE,
)
INSTRUCTION_MASK = "(…)"


def instructs(sentence: str) -> bool:
    """Whether a sentence gives the model instructions ("Ignore all previous instructions ...")."""
    return bool(_INSTRUCTION.search(sentence))


def mask_instructions(text: str, mask: str = INSTRUCTION_MASK) -> str:
    """``text`` with every sentence that gives the model instructions replaced by ``mask``."""
    out, last = [], 0
    for start, end in sentence_spans(text):
        if _INSTRUCTION.search(text, start, end):
            out += [text[last:start], mask]
            last = end
    return "".join(out) + text[last:] if out else text


def neutralise_source_text(text: str) -> str:
    """Source text carries no ``[n]`` markers of its own (fake citations), nothing a prompt obeys and no
    sentence that instructs the model."""
    return MARKER.sub(r"(\1)", mask_instructions(neutralise_prompt_text(text)))


def render_sources(sources: list[Passage], label: str) -> str:
    """The LLM's numbered sources, one line per evidence unit: "Quelle [n] (outlet, date): text". The outlet and date
    are given once per article, at its first unit: ~60 % of the units repeat an article, and each label costs ~10
    prompt tokens."""
    lines = []
    shown: set[str] = set()
    for n, p in enumerate(sources, 1):
        meta = "" if p.doc_id in shown else neutralise_source_text(", ".join(x for x in (p.outlet, p.date) if x))
        shown.add(p.doc_id)
        head = f"{label} [{n}]" + (f" ({meta})" if meta else "")
        lines.append(f"{head}: {neutralise_source_text(' '.join(p.text.split()))}")
    return "\n".join(lines)
