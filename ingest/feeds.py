"""Read RSS and Atom feed files: each item becomes a RawDoc (title, date, link, the channel as outlet), or a Skipped."""

from __future__ import annotations

import email.utils
import io
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from xml.sax import SAXParseException

import feedparser

from ingest import sniff
from ingest.records import RawDoc, Skipped

_MIN_WORD_CHARS = 20
_BLOCK_TAGS = frozenset([
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "footer", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "tbody", "thead", "tfoot", "tr", "ul",
])
_SKIPPED_TAGS = frozenset(["script", "style", "noscript", "template", "iframe", "object", "svg", "math"])
_CELL_TAGS = frozenset(("td", "th"))  # cells of a row: separated by a space
NO_ITEM_TEXT = ("feed item has no text (neither full content nor a description): "
                "save the article's web page as .html and ingest that")


def read_feed(data: bytes, source: str) -> Iterator[RawDoc | Skipped]:
    """One RawDoc per item; an item without text, a repeated item or a feed without items is a Skipped."""
    kind, _ = sniff.describe(data)
    if kind not in ("an RSS or Atom feed", "an XML file", "plain text"):
        yield Skipped(source, sniff.mismatch(data, "an RSS or Atom feed", "." + source.rsplit(".", 1)[-1]))
        return
    # A stream, never a string: feedparser would take a string (even bytes) that looks like one for a URL or a path.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=False)
    broken = parsed.get("bozo_exception") if isinstance(parsed.get("bozo_exception"), SAXParseException) else None
    if not parsed.entries:
        if not parsed.get("version"):
            detail = f" ({_xml_error(broken)})" if broken else ""
            yield Skipped(source, f"not an RSS or Atom feed{detail}: give a feed file (.rss, .atom, .xml)")
        else:
            yield Skipped(source, "empty feed: it has no items")
        return
    channel: Mapping[str, Any] = parsed.feed
    outlet = _plain(channel.get("title"))
    language = channel.get("language") or None
    used: set[str] = set()
    for number, entry in enumerate(parsed.entries, start=1):
        key = _item_key(entry, number)
        where = f"{source}#{key}"
        if key in used:
            yield Skipped(where, f"item {number} repeats the id of an earlier item: only the first one is read")
            continue
        used.add(key)
        text = _item_text(entry)
        if len(re.findall(r"\w", text)) < _MIN_WORD_CHARS:
            yield Skipped(where, NO_ITEM_TEXT)
            continue
        yield RawDoc(source=where, text=text, title=_plain(entry.get("title")), outlet=outlet, date=_item_date(entry),
                     url=entry.get("link") or None, language=language)
    if broken is not None:
        yield Skipped(source, f"malformed feed ({_xml_error(broken)}): the {len(parsed.entries)} items before "
                              "the error were read, later ones may be missing; download the feed again")


def _item_key(entry: Mapping[str, Any], number: int) -> str:
    """What names an item across downloads of the same feed: its id (guid), else its link, else its position."""
    for field in ("id", "link"):
        value = " ".join(str(entry.get(field) or "").split())
        if value:
            return value.replace(" ", "%20")
    return f"item-{number}"


def _item_text(entry: Mapping[str, Any]) -> str:
    """The longest of the item's full content (content:encoded, Atom content) and its summary, as text."""
    candidates = [c for c in entry.get("content") or [] if isinstance(c, Mapping)]
    if entry.get("summary_detail"):
        candidates.append(entry["summary_detail"])
    elif entry.get("summary"):
        candidates.append({"value": entry["summary"], "type": "text/html"})
    texts = [_as_text(str(c.get("value") or ""), str(c.get("type") or "text/html")) for c in candidates]
    return max(texts, key=len, default="")


def _as_text(value: str, mime: str) -> str:
    if mime == "text/plain":
        return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", value) if p.strip())
    return html_to_text(value)


def _plain(value: object) -> str | None:
    """A title as plain text (feeds may put markup or entities in titles)."""
    if not isinstance(value, str):
        return None
    text = " ".join(html_to_text(value).split()) if "<" in value or "&" in value else " ".join(value.split())
    return text or None


def _item_date(entry: Mapping[str, Any]) -> str | None:
    """The publication date (else the update date) as an ISO date, in the time zone the feed wrote it in."""
    for field in ("published", "updated", "created"):
        raw = entry.get(field)
        if not raw:
            continue
        when = _parse_date(str(raw))
        if when is not None:
            return when
        parsed = entry.get(f"{field}_parsed")  # feedparser's reading of odd formats, in UTC
        if parsed:
            return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
    return None


def _parse_date(raw: str) -> str | None:
    raw = raw.strip()
    try:
        return email.utils.parsedate_to_datetime(raw).date().isoformat()  # RSS: "Tue, 12 Mar 2019 08:00:00 +0100"
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(raw).date().isoformat()  # Atom: "2019-03-12T08:00:00+01:00"
    except ValueError:
        return None


def _xml_error(e: SAXParseException) -> str:
    return f"XML error at line {e.getLineNumber()}: {e.getMessage()}"


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment: block elements become paragraphs, <br> a line break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in _BLOCK_TAGS:
            self.out.append("\n\n")
        elif tag in _CELL_TAGS:
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag in _BLOCK_TAGS:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:  # in HTML a line break in the source is a space; <br> and blocks break lines
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment: paragraphs separated by a blank line, whitespace inside them collapsed."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = re.split(r"\n{2,}", "\n".join(lines))
    return "\n\n".join(p.strip("\n") for p in paragraphs if p.strip())
