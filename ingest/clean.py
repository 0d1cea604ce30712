"""Strip page furniture (ads, captions, teasers, job boards, section labels) from scraped article text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_TRAILING_PUNCT = re.compile(r"[.!?…:;,][\"'»«“”’)\]]*$")
_LETTER = re.compile(r"[^\W\d_]")
_BULLET = re.compile(r"^[•■▪●◆▶►]\s*")
_AD = re.compile(r"^[-–—*\[(|\s]*(?:anzeige|werbung|advertisement|sponsored|gesponsert)[-–—*\])|\s]*$", re.I)
# A photo credit at the end of a line: "... Quelle: dpa", "Foto: picture alliance / J. Doe", "© Reuters".
_CAPTION = re.compile(
    r"(?:^|\s)(?:(?:Quelle|Foto|Fotos|Bild|Bilder|Grafik|Illustration|Copyright)\s*:|©)"
    r"\s*(?:[^.!?]|(?<=[\s/][A-ZÄÖÜ])\.){1,60}$"
)
# Badge words that scrapers glue to the first word of a paragraph: "exklusivBei der ...".
_GLUED_BADGE = re.compile(
    r"^(?i:exklusiv|exclusive|premium|eilmeldung|breaking|liveblog|kommentar|analyse|update)"
    r"(?=[A-ZÄÖÜ][a-zäöüß])"
)
# Labels that open a block of links to other stories ("Mehr zum Thema", "Die aktuellen Top-Themen").
_MARKER = re.compile(
    r"top[- ]?themen|mehr zum thema|lesen sie (?:auch|mehr)|das könnte sie (?:auch )?interessieren"
    r"|auch interessant|weitere (?:artikel|nachrichten)|(?:verwandte|ähnliche|empfohlene) artikel"
    r"|meist ?gelesen|meistgeklickt|unsere empfehlungen|related (?:articles|stories)|read more|most read"
    r"|you may also like|recommended for you|^zum thema:?$",
    re.I,
)
_INLINE_TEASER = re.compile(
    r"^(?:lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|siehe auch|zum thema|read more|related)"
    r"\s*[:\-–]\s*\S",
    re.I,
)
_JOB_WORDS = re.compile(
    r"stellenanzeige|stellenangebot|stellenmarkt|stellenbörse|jobbörse|jobturbo|jobsuche|\bjobs?\b", re.I
)
_READER_ADDRESS = re.compile(r"\S.*\b(?:Sie|Ihre?[mnrs]?|Ihnen)\b|:$")
_HEADLINE_MAX_WORDS = 20
_SHORT_LINE_WORDS = 12


@dataclass(frozen=True)
class Cleaned:
    """The article text with furniture removed, the headline found in it, and what was removed."""

    text: str  # the article text that will be chunked and shown; offsets point into it
    title: str | None  # a headline found in the text (and removed from body) or None
    dropped: list[str]  # every piece of page furniture removed, verbatim
    # Where each line of the input (newlines normalised) begins in ``text``; a removed or blank line maps to
    # where the kept text after it begins. Lets a PDF's page starts follow the text through cleaning.
    line_starts: list[int] = field(default_factory=list)


def clean_text(text: str) -> Cleaned:
    """Remove page furniture from ``text`` and split off a leading headline.

    Rules, most local first: lines without letters, "Anzeige" lines, photo captions, a line repeating
    the one before, one-line "Lesen Sie auch: ..." teasers, and badges glued to a paragraph
    ("exklusivBei"). Short lines before the first paragraph are a headline (the first one of three
    or more words; else the last of two) and the section labels before it. After the body has
    started, a teaser section label, a lone bullet label, a "Kicker: Headline" line repeated as
    "Headline", or a job-board line followed only by short lines starts a trailing block that is
    dropped through the end. Whitespace is normalised: lines stripped, 3+ newlines become one blank line.
    """
    originals = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines: list[str | None] = [_normalise_line(line) for line in originals]
    dropped: dict[int, str] = {}

    def drop(i: int) -> None:
        if lines[i]:
            dropped[i] = originals[i].strip()
        lines[i] = None

    _drop_local_furniture(lines, drop, dropped)
    body_start, title = _split_headline(lines, drop)
    if body_start is not None:
        _drop_trailing_block(lines, body_start, drop)
    else:  # no running text at all: teaser section labels are still not content
        for i, line in enumerate(lines):
            if line and _words(line) <= 8 and _MARKER.search(line):
                drop(i)
    cleaned, line_starts = _join_lines(lines)
    return Cleaned(text=cleaned, title=title, dropped=[dropped[i] for i in sorted(dropped)], line_starts=line_starts)


def _join_lines(lines: list[str | None]) -> tuple[str, list[int]]:
    """The kept lines joined by newlines, a run of blank lines as one blank line, none at either end; and where
    each line begins in the result (see ``Cleaned.line_starts``)."""
    parts: list[str] = []
    starts: list[int | None] = []
    length = 0
    blank = False
    for line in lines:
        if not line:  # removed (None) or blank (""): placed once the next kept line is
            blank = blank or (line == "" and bool(parts))
            starts.append(None)
            continue
        if parts:
            parts.append("\n\n" if blank else "\n")
            length += len(parts[-1])
        starts.append(length)
        parts.append(line)
        length += len(line)
        blank = False
    following = length
    for i in range(len(starts) - 1, -1, -1):
        start = starts[i]
        if start is not None:
            following = start
        starts[i] = following
    return "".join(parts), [s or 0 for s in starts]


def _normalise_line(line: str) -> str:
    return re.sub(r"[ \t\xa0\u2007\u202f]+", " ", line).strip()


def _words(line: str) -> int:
    return len(line.split())


def _is_sentence(line: str) -> bool:
    """Running text: ends with punctuation, or too long for a headline or label."""
    return bool(_TRAILING_PUNCT.search(line)) or _words(line) > _HEADLINE_MAX_WORDS


def _drop_local_furniture(
    lines: list[str | None], drop: Callable[[int], None], dropped: dict[int, str]
) -> None:
    previous = ""
    for i, line in enumerate(lines):
        if not line:
            continue
        repeated = line.casefold() == previous.casefold()
        previous = line
        if (
            repeated
            or not _LETTER.search(line)
            or _AD.match(line)
            or _CAPTION.search(line)
            or _INLINE_TEASER.match(line)
        ):
            drop(i)
            continue
        badge = _GLUED_BADGE.match(line)
        if badge:
            dropped[i] = badge.group()
            lines[i] = line[badge.end() :]


def _split_headline(lines: list[str | None], drop: Callable[[int], None]) -> tuple[int | None, str | None]:
    """Find the first paragraph line; short lines before it are labels and a headline (removed)."""
    leading: list[int] = []
    body_start = None
    for i, line in enumerate(lines):
        if not line:
            continue
        if _is_sentence(line):
            body_start = i
            break
        leading.append(i)
    if body_start is None or not leading:
        return body_start, None
    headline = next((i for i in leading if _is_headline(lines[i] or "")), None)
    if headline is None:
        headline = next((i for i in reversed(leading) if _words(lines[i] or "") == 2), None)
    title = lines[headline] if headline is not None else None
    for i in leading:
        if headline is None or i < headline:
            drop(i)
    if headline is not None:
        lines[headline] = None
    return body_start, title


def _is_headline(line: str) -> bool:
    return _words(line) >= 3 and not _is_label(line)


def _is_label(line: str) -> bool:
    return bool(_BULLET.match(line) or _MARKER.search(line))


def _drop_trailing_block(lines: list[str | None], body_start: int, drop: Callable[[int], None]) -> None:
    present = [i for i in range(body_start + 1, len(lines)) if lines[i]]
    for n, i in enumerate(present):
        before = lines[present[n - 1]] if n > 0 else lines[body_start]
        after = present[n + 1 :]
        if _starts_trailing_block(lines[i] or "", before or "", [lines[j] or "" for j in after]):
            for j in range(i, len(lines)):
                drop(j)
            return


def _starts_trailing_block(line: str, before: str, after: list[str]) -> bool:
    label = _BULLET.sub("", line).removesuffix(":")
    if not _is_sentence(label):
        if _words(label) <= 8 and _MARKER.search(label):
            return True
        nav_bullet = _BULLET.match(line) and _words(label) <= 5
        if nav_bullet and not _BULLET.match(before) and not (after and _BULLET.match(after[0])):
            return True
        if after and _is_teaser_pair(line, after[0]):
            return True
    return bool(
        _JOB_WORDS.search(line)
        and _READER_ADDRESS.search(line)
        and all(_words(rest) <= _SHORT_LINE_WORDS for rest in after)
    )


def _is_teaser_pair(line: str, following: str) -> bool:
    """'Kicker: Headline' followed by 'Headline' is how teaser boxes repeat a story's headline."""
    if _is_sentence(following) or _words(line) > 15 or len(following) >= len(line):
        return False
    head = line[: len(line) - len(following)]
    return line.casefold().endswith(following.casefold()) and head.rstrip()[-1:] in {":", "-", "–", "|"}
