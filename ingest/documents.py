"""Read PDF (text layer, with where each page starts) and DOCX files into RawDoc records, or Skipped ones."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import docx
import pypdf
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf.errors import DependencyError, PyPdfError

from ingest import pdf_text, sniff
from ingest.records import RawDoc, Skipped

log = logging.getLogger(__name__)

_MIN_WORD_CHARS = 20  # fewer letters and digits than this in a whole PDF: there is no text layer
_UNDECODABLE = re.compile(r"[\ufffd\x00-\x08\x0e-\x1f]")  # replacement characters and control codes
_MAX_UNDECODABLE = 0.02  # a few are unmapped symbols (bullets, logos); more means the text is garbage
_EOF_WINDOW = 1024  # readers expect the %%EOF marker within the last KiB
NO_TEXT_LAYER = "no text layer (scanned?): run OCR first, e.g. ocrmypdf in.pdf out.pdf"
ENCRYPTED = ("encrypted PDF that cannot be opened without a password: remove the password "
             "(e.g. qpdf --decrypt --password=... in.pdf out.pdf) and ingest the copy")
DAMAGED_DOCX = "damaged or truncated DOCX (its ZIP container cannot be read): save it again in Word or LibreOffice"
# Titles that PDF and Word tools write on their own: they name no article.
_PLACEHOLDER_TITLE = re.compile(
    r"(?i)^(?:untitled|unbenannt|ohne titel|title|titel|word document|microsoft word\b.*"
    r"|.*\.(?:docx?|pdf|indd|odt|rtf))$"
)
# python-docx stamps every new document with its template's creation time: that says nothing about the article.
_PYTHON_DOCX_TEMPLATE_TIME = datetime(2013, 12, 23, 23, 15, tzinfo=UTC)


def read_pdf(data: bytes, source: str) -> Iterator[RawDoc | Skipped]:
    """One RawDoc for the PDF's text layer (paragraphs reflowed, ``page_starts`` set), or a Skipped."""
    if not sniff.is_pdf(data):
        yield Skipped(source, sniff.mismatch(data, "a PDF", ".pdf"))
        return
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        yield Skipped(source, "truncated PDF (no end-of-file marker): download or export it again")
        return
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an empty user password opens most "protected" PDFs
            yield Skipped(source, ENCRYPTED)
            return
        pages = [pdf_text.page_lines(page) for page in reader.pages]
        info = reader.metadata
        title, created = (info.title, info.creation_date) if info is not None else (None, None)
        language = reader.root_object.get("/Lang")
        language = language.get_object() if language is not None else None  # may be an indirect reference
    except DependencyError as e:
        yield Skipped(source, f"cannot decrypt this PDF ({e}): install the cryptography package")
        return
    except (PyPdfError, ValueError, KeyError, IndexError) as e:
        log.debug("PDF %s not read", source, exc_info=True)
        yield Skipped(source, f"damaged PDF ({type(e).__name__}: {_short(e)}): export or download it again")
        return
    except Exception as e:  # pypdf can raise almost anything on a hostile file; one file must not end the ingest
        log.warning("unexpected error reading the PDF %s", source, exc_info=True)
        yield Skipped(source, f"cannot read this PDF ({type(e).__name__}: {_short(e)}): export or download it again")
        return
    text, starts = _pdf_text(pages)
    if len(re.findall(r"\w", text)) < _MIN_WORD_CHARS:
        yield Skipped(source, NO_TEXT_LAYER)
        return
    undecodable = len(_UNDECODABLE.findall(text)) / len(re.findall(r"\S", text))
    if undecodable > _MAX_UNDECODABLE:
        yield Skipped(source, f"unreadable text layer ({undecodable:.0%} of the characters cannot be decoded: a "
                              "damaged file, or fonts without a character map): export it again, or run OCR")
        return
    yield RawDoc(source=source, text=text, title=_title(title), date=_iso_date(created),
                 language=str(language) if isinstance(language, str) else None, page_starts=starts)


def _pdf_text(pages: list[list[pdf_text.Line]]) -> tuple[str, tuple[int, ...]]:
    """The pages' paragraphs as one text (blank lines between paragraphs) and where each page starts in it."""
    text = ""
    starts: list[int] = []
    for paras in pdf_text.paragraphs(pdf_text.drop_furniture(pages)):
        if text and paras:
            text += "\n\n"
        starts.append(len(text))
        text += "\n\n".join(paras)
    return text, tuple(starts)


def read_docx(data: bytes, source: str) -> Iterator[RawDoc | Skipped]:
    """One RawDoc for the document body (paragraphs and table rows, in order), or a Skipped."""
    if not sniff.is_docx(data):
        damaged = sniff.describe(data)[0] == "a damaged ZIP archive"
        yield Skipped(source, DAMAGED_DOCX if damaged else sniff.mismatch(data, "a DOCX document", ".docx"))
        return
    try:
        document = docx.Document(io.BytesIO(data))
        blocks, heading = _docx_blocks(document)
        props = document.core_properties
        title, created, language = props.title, props.created, props.language
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError, OSError, EOFError) as e:
        # SyntaxError: lxml's XMLSyntaxError (a damaged part); OSError/EOFError: zlib on a cut or altered entry
        log.debug("DOCX %s not read", source, exc_info=True)
        yield Skipped(source, f"damaged DOCX ({type(e).__name__}: {_short(e)}): save it again in Word or LibreOffice")
        return
    except Exception as e:  # as with PDFs: a hostile file must not end the ingest
        log.warning("unexpected error reading the DOCX %s", source, exc_info=True)
        yield Skipped(source, f"cannot read this DOCX ({type(e).__name__}: {_short(e)}): save it again in Word")
        return
    text = "\n\n".join(blocks)
    if len(re.findall(r"\w", text)) < _MIN_WORD_CHARS:
        yield Skipped(source, "no text in the document body")
        return
    if created == _PYTHON_DOCX_TEMPLATE_TIME:
        created = None
    yield RawDoc(source=source, text=text, title=_title(title) or heading, date=_iso_date(created),
                 language=language or None)


def _docx_blocks(document: DocxDocument) -> tuple[list[str], str | None]:
    """The body's paragraphs and table rows as lines of text, and the first heading."""
    blocks: list[str] = []
    heading = None
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = " ".join(item.text.split())
            style = (item.style.name if item.style is not None else "") or ""
            if text and heading is None and style.lower().startswith(("title", "heading", "titel", "überschrift")):
                heading = text
            lines = [text] if text else []
        elif isinstance(item, Table):
            lines = [_row_text(row.cells) for row in item.rows]
        blocks += [line for line in lines if line]
    return blocks, heading


def _row_text(cells: list[Any]) -> str:
    seen: list[str] = []
    for cell in cells:  # merged cells repeat: keep each once
        text = " ".join(cell.text.split())
        if text and text not in seen:
            seen.append(text)
    return " | ".join(seen)


def _title(value: object) -> str | None:
    title = " ".join(str(value).split()) if isinstance(value, str) else ""
    return title if title and not _PLACEHOLDER_TITLE.match(title) else None


def _iso_date(value: object) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else None


def _short(e: BaseException, n: int = 120) -> str:
    text = " ".join(str(e).split()) or "no detail"
    return text if len(text) <= n else text[: n - 1] + "…"
