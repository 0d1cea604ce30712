"""What a file's first bytes say it is (magic numbers), so a file named after the wrong format is named as such."""

from __future__ import annotations

import io
import re
import zipfile

_UTF8_BOM = b"\xef\xbb\xbf"
# (kind, the extension we read it under or None, magic bytes at offset 0)
_MAGIC = [
    ("an old Word document (.doc)", None, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
    ("a PNG image", None, b"\x89PNG\r\n\x1a\n"),
    ("a JPEG image", None, b"\xff\xd8\xff"),
    ("a GIF image", None, b"GIF8"),
    ("a gzip archive", None, b"\x1f\x8b"),
    ("an RTF document", None, b"{\\rtf"),
]
_MARKUP = [  # the first tag of a text file
    ("HTML", ".html", re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.I)),
    ("an RSS or Atom feed", ".rss", re.compile(rb"<(?:rss|feed|rdf:RDF)\b")),
]
# What may come before the first tag: whitespace, <?xml ...?> and other processing instructions, comments,
# and a document type other than HTML's.
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+(?!html\b)[^>]*>)*", re.S | re.I)
_HINT_BYTES = 2048


def is_pdf(data: bytes) -> bool:
    """A PDF header within the first KiB (the specification allows some bytes before it)."""
    return b"%PDF-" in data[:1024]


def is_docx(data: bytes) -> bool:
    """A ZIP archive whose directory lists the main part of a Word document."""
    return data.startswith(b"PK\x03\x04") and "word/document.xml" in (_zip_names(data) or set())


def describe(data: bytes) -> tuple[str, str | None]:
    """What ``data`` looks like ("HTML", "a PDF", "plain text", ...) and the extension to give it, if we read it."""
    if is_pdf(data):
        return "a PDF", ".pdf"
    if data.startswith(b"PK\x03\x04"):
        names = _zip_names(data)
        if names is None:
            return "a damaged ZIP archive", None
        if "word/document.xml" in names:
            return "a DOCX document", ".docx"
        if "content.xml" in names:
            return "an OpenDocument file", None
        return "a ZIP archive", None
    for kind, ext, magic in _MAGIC:
        if data.startswith(magic):
            return kind, ext
    head = data[:_HINT_BYTES].removeprefix(_UTF8_BOM)
    first = _PROLOG.match(head)
    start = first.end() if first else 0
    for kind, ext, tag in _MARKUP:
        if tag.match(head, start):
            return kind, ext
    if head.lstrip().startswith(b"<?xml"):
        return "an XML file", None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "binary data", None
    if b"\x00" in head:
        return "binary data", None
    return "plain text", ".txt"


def mismatch(data: bytes, expected: str, extension: str) -> str:
    """The reason for a file whose bytes are not the ``expected`` format its ``extension`` promises."""
    kind, ext = describe(data)
    if ext and ext != extension:
        fix = f"rename it to {ext}"
    elif kind in ("an old Word document (.doc)", "an OpenDocument file"):
        fix = "open it in Word or LibreOffice and save it as .docx"
    else:
        fix = "export the article as .pdf, .docx, .html or .txt"
    return f"not {expected} although named {extension}: it looks like {kind}; {fix}"


def _zip_names(data: bytes) -> set[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):  # OSError/ValueError: a directory pointing past the end
        return None
