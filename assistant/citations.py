"""The citation contract: sources are numbered 1..n; ``[n]`` markers are normalised, parsed and bounds-checked."""

from __future__ import annotations

import re

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


_SPECIAL = re.compile(r"<\|[^|<>]{0,40}\|>")
_BLOCK_TAG = re.compile(r"</?\s*(?:sources|quellen)\s*>", re.IGNORECASE)


def neutralise_prompt_text(text: str) -> str:
    """Text from users or articles must not produce chat-template tokens (``<|im_start|>``) or close the
    ``<sources>``/``<quellen>`` block: such sequences are defused into visibly similar plain text."""
    text = _SPECIAL.sub(lambda m: m.group().replace("<|", "‹").replace("|>", "›"), text)
    return _BLOCK_TAG.sub(lambda m: m.group().replace("<", "‹").replace(">", "›"), text)


def neutralise_source_text(text: str) -> str:
    """Source text carries no ``[n]`` markers of its own (fake citations) and nothing a prompt obeys."""
    return MARKER.sub(r"(\1)", neutralise_prompt_text(text))
