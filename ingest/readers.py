"""Read article files (text, HTML, JSONL, PDF, DOCX, RSS/Atom) into RawDoc records; unusable input becomes a Skipped."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TypedDict

import frontmatter
import trafilatura
import yaml
from trafilatura.settings import Document

from ingest import documents, feeds, sniff
from ingest.records import RawDoc, Skipped

_SUPPORTED_HINT = "supported: .txt .md .html .jsonl .pdf .docx .rss .atom .xml"
_BOM = b"\xef\xbb\xbf"
# Bytes that never occur in text files (everything below 0x20 except \t \n \v \f \r and ESC, plus DEL).
_CONTROL_BYTES = frozenset(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B} | {0x7F}
_CONTROL_TABLE = bytes(sorted(_CONTROL_BYTES))  # for bytes.translate(None, ...): deletes them
_MIN_WORD_CHARS = 20
_NO_HTML_TEXT = "no main text found in the HTML (no body or only navigation): save the article page"
_MISSING = "path does not exist: check the spelling or give an existing file or folder"
# Metadata keys accepted in front matter and JSONL records, per field, in order of preference.
_META_KEYS = {
    "title": ("title",),
    "outlet": ("outlet", "source", "publisher"),
    "date": ("date",),
    "url": ("url",),
    "language": ("language", "lang"),
}
_TEXT_KEYS = ("text", "body", "content")


def iter_documents(paths: Sequence[Path], max_file_bytes: int = 20_000_000) -> Iterator[RawDoc | Skipped]:
    """Yield one RawDoc per article found under ``paths`` (files or folders), or a Skipped; never raises.

    Folders are walked recursively in sorted order, skipping hidden files and folders; sources are
    relative to the folder. A file given directly is named relative to its parent.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path, max_file_bytes)
        elif path.is_file():
            yield from _read_file(path, path.name, max_file_bytes)
        elif path.exists():
            yield Skipped(str(given), "not a regular file or folder: give a file or a folder of articles")
        else:
            yield Skipped(str(given), _MISSING)


def _walk(root: Path, max_file_bytes: int) -> Iterator[RawDoc | Skipped]:
    errors: list[OSError] = []
    files: list[Path] = []
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        files.extend(Path(folder, name) for name in filenames if not name.startswith("."))
    for error in errors:
        where = Path(os.path.relpath(error.filename, root)).as_posix() if error.filename else str(root)
        yield Skipped(where, f"cannot read folder ({error.strerror or error}): check its permissions")
    for file in sorted(files, key=lambda f: f.relative_to(root).parts):
        yield from _read_file(file, file.relative_to(root).as_posix(), max_file_bytes)


def _read_file(path: Path, source: str, max_file_bytes: int) -> Iterator[RawDoc | Skipped]:
    suffix = path.suffix.lower()
    text_reader, file_reader = _READERS.get(suffix), _FILE_READERS.get(suffix)
    if text_reader is None and file_reader is None:
        yield Skipped(source, f"unsupported file type {suffix or '(no extension)'} ({_SUPPORTED_HINT})")
        return
    data = _read_bytes(path, source, max_file_bytes)
    if isinstance(data, Skipped):
        yield data
    elif file_reader is not None:
        yield from file_reader(data, source)
    elif text_reader is not None:
        text = _decode(data, source)
        if isinstance(text, Skipped):
            yield text
        else:
            yield from text_reader(text, source)


def _read_bytes(path: Path, source: str, max_file_bytes: int) -> bytes | Skipped:
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            return Skipped(
                source,
                f"file too large ({size:,} bytes, limit {max_file_bytes:,}): split it into smaller files",
            )
        data = path.read_bytes()
    except OSError as e:
        return Skipped(source, f"cannot read file ({e.strerror or e}): check its permissions")
    if not data:
        return Skipped(source, "empty file")
    return data


def _decode(data: bytes, source: str) -> str | Skipped:
    if b"\x00" in data or _control_share(data[:8192]) > 0.05:
        kind, ext = sniff.describe(data)
        if ext in _FILE_READERS:  # e.g. a PDF named .txt
            return Skipped(source, f"binary file, not text: it looks like {kind}; rename it to {ext}")
        return Skipped(source, "binary file, not text: export the article as .txt, .md, .html or .jsonl")
    bom = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = bom + e.start
        return Skipped(
            source,
            f"not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}): convert it to UTF-8, "
            "e.g. iconv -f latin1 -t utf-8",
        )
    if not text.strip():
        return Skipped(source, "file contains only whitespace")
    return _newlines(text)


def _control_share(sample: bytes) -> float:
    return (len(sample) - len(sample.translate(None, _CONTROL_TABLE))) / len(sample)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_txt(text: str, source: str) -> Iterator[RawDoc | Skipped]:
    yield RawDoc(source=source, text=text)


def _read_markdown(text: str, source: str) -> Iterator[RawDoc | Skipped]:
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as e:
        detail = " ".join(str(e).split())
        fix = "fix the block between the '---' lines"
        yield Skipped(source, f"malformed YAML front matter ({detail}): {fix}")
        return
    body = re.sub(r"(?m)^#{1,6}[ \t]+(.*?)[ \t#]*$", r"\1", post.content)  # "## Heading" -> "Heading"
    if not body.strip():
        yield Skipped(source, "no text after the front matter")
        return
    yield RawDoc(source=source, text=body, **_pick_metadata(post.metadata))


def _read_html(text: str, source: str) -> Iterator[RawDoc | Skipped]:
    doc = trafilatura.bare_extraction(
        text, favor_precision=True, with_metadata=True, include_comments=False, include_images=False
    )  # a Document (not as_dict), or None
    body = doc.text if isinstance(doc, Document) else None
    if not isinstance(doc, Document) or not body or len(re.findall(r"\w", body)) < _MIN_WORD_CHARS:
        yield Skipped(source, _NO_HTML_TEXT)
        return
    lang = re.search(r"<html\b[^>]*\blang=[\"']?([A-Za-z]{2,3})\b", text[:5000], re.IGNORECASE)
    yield RawDoc(
        source=source,
        text=_newlines(body),
        title=_meta_value(doc.title),
        outlet=_meta_value(doc.sitename),
        date=_meta_value(doc.date),
        url=_meta_value(doc.url),
        language=lang.group(1).lower() if lang else None,
    )


def _read_jsonl(text: str, source: str) -> Iterator[RawDoc | Skipped]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}#{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            yield Skipped(where, f"invalid JSON ({e.msg} at column {e.colno}): fix or remove this line")
            continue
        if not isinstance(record, dict):
            yield Skipped(where, 'not a JSON object: each line must be one article like {"text": "..."}')
            continue
        body = next((v for k in _TEXT_KEYS if isinstance(v := record.get(k), str) and v.strip()), None)
        if body is None:
            yield Skipped(where, "no article text: put it in a 'text', 'body' or 'content' field")
            continue
        yield RawDoc(source=where, text=_newlines(body), **_pick_metadata(record))


class _Metadata(TypedDict):
    """The metadata fields of a RawDoc, as far as front matter or a JSONL record gives them."""

    title: str | None
    outlet: str | None
    date: str | None
    url: str | None
    language: str | None


def _pick_metadata(mapping: Mapping[str, object]) -> _Metadata:
    lowered = {str(k).lower(): v for k, v in mapping.items()}  # str(): YAML front matter may have other keys

    def pick(field: str) -> str | None:
        values = (_meta_value(lowered.get(k)) for k in _META_KEYS[field])
        return next((v for v in values if v), None)

    return _Metadata(title=pick("title"), outlet=pick("outlet"), date=pick("date"), url=pick("url"),
                     language=pick("language"))


def _meta_value(value: object) -> str | None:
    """A metadata value as a non-empty string; YAML dates become ISO strings; lists and maps are ignored."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    return None


_READERS: dict[str, Callable[[str, str], Iterator[RawDoc | Skipped]]] = {
    ".txt": _read_txt,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": _read_html,
    ".htm": _read_html,
    ".jsonl": _read_jsonl,
}
# Formats read from the file's bytes (binary, or XML that declares its own encoding).
_FILE_READERS: dict[str, Callable[[bytes, str], Iterator[RawDoc | Skipped]]] = {
    ".pdf": documents.read_pdf,
    ".docx": documents.read_docx,
    ".rss": feeds.read_feed,
    ".atom": feeds.read_feed,
    ".xml": feeds.read_feed,
}
