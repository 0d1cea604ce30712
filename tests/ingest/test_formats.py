"""PDF and DOCX input (feeds: test_feeds.py): what is read, page numbers from the PDF to search results, bad input."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.factory import build_assistant, build_store
from assistant.models import Article, Citation
from assistant.settings import Settings
from assistant.text import split_sentences
from ingest import documents
from ingest.chunking import chunk_article
from ingest.metadata import build_article
from ingest.pipeline import ingest
from ingest.readers import RawDoc, Skipped, iter_documents
from tests.conftest import CORPUS
from tests.documents import (
    PAGES,
    RSS,
    SENTENCE_ON_PAGE_3,
    docx_blocks,
    write_docx,
    write_pdf,
    write_scanned_pdf,
)
from tests.fakes import HashEmbedding, ScriptedLLM

HEADLINE = PAGES[0][0]
HEADER = "Freie Presse | Wirtschaft"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "articles"
    path.mkdir()
    return path


def read(path: Path) -> list[RawDoc | Skipped]:
    return list(iter_documents([path]))


def read_one(path: Path) -> RawDoc:
    [doc] = read(path)
    assert isinstance(doc, RawDoc), doc
    return doc


def built(doc: RawDoc) -> Article:
    article = build_article(doc)
    assert isinstance(article, Article), article
    return article


def page_of(sentence: str) -> int:
    """The page of ``PAGES`` that holds ``sentence``."""
    [page] = [n for n, paragraphs in enumerate(PAGES, start=1) if any(sentence in p for p in paragraphs)]
    return page


# --- PDF ------------------------------------------------------------------------------------------------

def test_pdf_is_read_page_by_page_with_metadata_and_without_running_headers(folder: Path) -> None:
    path = write_pdf(folder / "zwickau.pdf", title="Zwickau wird Elektro-Standort",
                     created=datetime(2019, 3, 12, 8, 30), running_header=HEADER)
    doc = read_one(path)
    assert (doc.source, doc.title, doc.date) == ("zwickau.pdf", "Zwickau wird Elektro-Standort", "2019-03-12")
    assert len(doc.page_starts) == 3 and doc.page_starts[0] == 0
    bounds = [*doc.page_starts, len(doc.text)]
    for n, paragraphs in enumerate(PAGES):
        page = doc.text[bounds[n] : bounds[n + 1]]
        for paragraph in paragraphs:  # visual lines joined into the paragraph again, umlauts intact
            assert paragraph in page
    assert HEADER not in doc.text and "Seite" not in doc.text  # running header and "Seite 2 von 3"


def test_pdf_without_a_real_title_takes_its_headline(folder: Path) -> None:
    doc = read_one(write_pdf(folder / "a.pdf"))  # the generator writes the title "untitled"
    assert doc.title is None
    article = built(doc)
    assert article.title == HEADLINE
    assert not article.text.startswith(HEADLINE)  # the headline became the title, as in a .txt article


def test_every_chunk_of_a_pdf_names_the_pages_it_starts_and_ends_on(folder: Path) -> None:
    article = built(read_one(write_pdf(folder / "a.pdf", running_header=HEADER)))
    chunks = chunk_article(article, target_words=40)  # several chunks per page, some across a page break
    for chunk in chunks:
        sentences = split_sentences(chunk.text)
        first, last = page_of(sentences[0]), page_of(sentences[-1])
        assert (chunk.page, chunk.page_end) == (first, last if last != first else None), chunk.text
    assert any(c.page_end for c in chunks)
    assert [c.page for c in chunks if SENTENCE_ON_PAGE_3 in c.text][0] == 3


def test_pdf_pages_reach_search_results_citations_and_the_api(settings: Settings, folder: Path) -> None:
    from ui.server import create_app

    write_pdf(folder / "zwickau.pdf", running_header=HEADER)
    (folder / "nissan.txt").write_text((CORPUS / "000_cf3a5fd77fe47193.txt").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    assistant = build_assistant(settings, embedder=HashEmbedding(), llm=ScriptedLLM("x"))
    summary = ingest([folder], assistant.store, assistant.retriever.embedder)
    assert (summary.new, summary.skipped) == (2, [])

    [top, *_] = assistant.search("Industrie- und Handelskammer Chemnitz Zulieferbetriebe", top_k=3)
    assert (top.source, top.page) == ("zwickau.pdf", 3) and SENTENCE_ON_PAGE_3 in top.text
    citation = Citation.from_passage(1, top)
    assert (citation.page, citation.page_end) == (3, None)
    [txt] = assistant.search("Renault Anteil Nissan Allianz", top_k=1)
    assert (txt.source, txt.page, txt.page_end) == ("nissan.txt", None, None)

    client = TestClient(create_app(assistant, settings, with_ui=False))
    results = client.post("/api/search", json={"query": "Handelskammer Chemnitz Zulieferbetriebe"}).json()["results"]
    assert (results[0]["source"], results[0]["page"]) == ("zwickau.pdf", 3)


def test_an_encrypted_pdf_that_opens_without_a_password_is_read(folder: Path) -> None:
    doc = read_one(write_pdf(folder / "protected.pdf", owner_password="nur-der-verlag"))  # restrictions only
    assert SENTENCE_ON_PAGE_3 in doc.text and len(doc.page_starts) == 3


# --- DOCX -----------------------------------------------------------------------------------------------

def test_docx_keeps_paragraphs_headings_and_tables_in_order(folder: Path) -> None:
    path = write_docx(folder / "zwickau.docx", docx_blocks(), title="Zwickau wird Elektro-Standort",
                      created=datetime(2019, 3, 12, 8, 30), language="de-DE",
                      table=[["Standort", "Fahrzeuge"], ["Zwickau", "330.000"]])
    doc = read_one(path)
    assert (doc.title, doc.date, doc.language, doc.page_starts) == (
        "Zwickau wird Elektro-Standort", "2019-03-12", "de-DE", ())
    blocks = doc.text.split("\n\n")
    assert blocks[:2] == [HEADLINE, PAGES[0][1]]
    assert "Batteriezellen aus Salzgitter" in blocks  # a heading is a line of its own
    assert blocks[-2:] == ["Standort | Fahrzeuge", "Zwickau | 330.000"]
    article = built(doc)
    assert article.language == "de" and article.page_starts is None
    assert all(c.page is None for c in chunk_article(article))


@pytest.mark.parametrize(
    ("title", "blocks", "expected"),
    [
        ("Titel aus den Eigenschaften", docx_blocks(), "Titel aus den Eigenschaften"),
        (None, docx_blocks(), HEADLINE),  # the first heading
        (None, [("Normal", "Vorspann ohne Punkt"), ("Heading 1", "Die erste Überschrift im Text"),
                ("Normal", PAGES[0][1])], "Die erste Überschrift im Text"),
        (None, [("Normal", "Eine kurze erste Zeile ohne Stil"), ("Normal", PAGES[0][1])],
         "Eine kurze erste Zeile ohne Stil"),  # no heading: the first line, as the cleaner finds it
    ],
)
def test_docx_title_is_the_properties_title_else_the_first_heading_else_the_first_line(
        folder: Path, title: str | None, blocks: list[tuple[str, str]], expected: str) -> None:
    assert built(read_one(write_docx(folder / "a.docx", blocks, title=title))).title == expected


def test_docx_made_by_python_docx_does_not_get_its_template_date(folder: Path) -> None:
    assert read_one(write_docx(folder / "a.docx", docx_blocks())).date is None


# --- bad input ------------------------------------------------------------------------------------------

def _truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) * 2 // 3]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _docx_with_broken_xml(tmp: Path) -> bytes:
    good = write_docx(tmp / "good.docx", docx_blocks()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    entries["word/document.xml"] = entries["word/document.xml"][:500]
    return _zip(entries)


def _pdf_with_garbage_inside(tmp: Path) -> bytes:
    data = write_pdf(tmp / "good.pdf").read_bytes()
    middle = len(data) // 3
    return data[:middle] + b"\x00garbage\xff" * 40 + data[middle + 400 :]


BAD_FILES = [
    ("scan.pdf", lambda tmp: write_scanned_pdf(tmp / "s.pdf").read_bytes(), documents.NO_TEXT_LAYER),
    ("locked.pdf", lambda tmp: write_pdf(tmp / "l.pdf", user_password="geheim").read_bytes(), documents.ENCRYPTED),
    ("cut.pdf", lambda tmp: _truncated(write_pdf(tmp / "c.pdf")), "truncated PDF (no end-of-file marker)"),
    ("damaged.pdf", lambda tmp: b"%PDF-1.7\n" + bytes(range(256)) * 10 + b"\n%%EOF\n",
     "damaged PDF (PdfReadError: startxref not found): export or download it again"),
    ("garbled.pdf", _pdf_with_garbage_inside, "unreadable text layer ("),
    ("page.pdf", lambda tmp: b"<!doctype html><html><body><p>Text</p></body></html>",
     "not a PDF although named .pdf: it looks like HTML; rename it to .html"),
    ("notes.docx", lambda tmp: "Nur ein Text über Zölle, kein Word-Dokument.".encode(),
     "not a DOCX document although named .docx: it looks like plain text; rename it to .txt"),
    ("old.docx", lambda tmp: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
     "it looks like an old Word document (.doc); open it in Word or LibreOffice and save it as .docx"),
    ("sheet.docx", lambda tmp: _zip({"xl/workbook.xml": b"<workbook/>"}), "it looks like a ZIP archive"),
    ("cut.docx", lambda tmp: _truncated(write_docx(tmp / "c.docx", docx_blocks())), documents.DAMAGED_DOCX),
    ("broken.docx", _docx_with_broken_xml, "damaged DOCX (XMLSyntaxError"),
    ("empty.rss", lambda tmp: RSS.split("<item>")[0].encode() + b"</channel></rss>", "empty feed: it has no items"),
    ("page.rss", lambda tmp: b"<html><body><p>Keine Nachrichten</p></body></html>",
     "not an RSS or Atom feed although named .rss: it looks like HTML; rename it to .html"),
    ("data.xml", lambda tmp: b"<?xml version='1.0'?><config><a>1</a></config>", "not an RSS or Atom feed"),
    ("image.atom", lambda tmp: b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "it looks like a PNG image"),
]


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_input_is_skipped_with_its_reason(folder: Path, tmp_path: Path, name: str, make, reason: str) -> None:
    (folder / name).write_bytes(make(tmp_path))
    [item] = read(folder / name)
    assert isinstance(item, Skipped), item
    assert item.source == name
    assert reason in item.reason, item.reason


# --- the pipeline -----------------------------------------------------------------------------------------

def _mixed_folder(folder: Path) -> Path:
    write_pdf(folder / "zwickau.pdf", title="Zwickau", running_header=HEADER)
    write_docx(folder / "zwickau.docx", docx_blocks())
    (folder / "presse.rss").write_text(RSS, encoding="utf-8")
    return folder


def test_second_ingest_of_pdf_docx_and_feed_reports_them_unchanged(settings: Settings, folder: Path) -> None:
    store = build_store(settings, HashEmbedding())
    first = ingest([_mixed_folder(folder)], store, HashEmbedding())
    assert (first.new, len(first.skipped)) == (4, 1)  # pdf, docx, two feed items; the feed item without text
    chunks = store.count_chunks()
    again = ingest([folder], store, HashEmbedding())
    assert (again.new, again.changed, again.unchanged, again.chunks_added) == (0, 0, 4, 0)
    assert store.count_chunks() == chunks


def test_bad_files_never_stop_the_ingest_nor_cost_what_is_already_ingested(settings: Settings, folder: Path,
                                                                            tmp_path: Path) -> None:
    store = build_store(settings, HashEmbedding())
    ingest([_mixed_folder(folder)], store, HashEmbedding())
    before = {d.source for d in store.documents()}
    for name, make, _ in BAD_FILES:
        (folder / name).write_bytes(make(tmp_path))
    (folder / "zwickau.pdf").write_bytes(_truncated(folder / "zwickau.pdf"))  # an ingested file gets damaged
    summary = ingest([folder], store, HashEmbedding(), prune=True)
    skipped = {s.source for s in summary.skipped}
    assert skipped >= {name for name, _, _ in BAD_FILES} | {"zwickau.pdf"}
    assert {d.source for d in store.documents()} == before  # the damaged PDF's article is kept, not pruned
    assert summary.new == 0 and summary.removed == 0


# --- the real embedder ------------------------------------------------------------------------------------

@pytest.mark.integration
def test_real_embedder_finds_the_pdf_passage_on_its_page_and_the_docx_passage(settings: Settings,
                                                                              folder: Path) -> None:
    write_pdf(folder / "zwickau.pdf", title="Zwickau wird Elektro-Standort", running_header=HEADER)
    write_docx(folder / "salzgitter.docx", [("Title", "Zellfertigung in Salzgitter"),
                                            *[("Normal", p) for p in PAGES[1][1:]]])
    assistant = build_assistant(settings, llm=ScriptedLLM("x"))
    summary = ingest([folder], assistant.store, assistant.retriever.embedder)
    assert (summary.new, summary.skipped) == (2, [])
    hits = assistant.search("Wie viele Zulieferbetriebe in der Region sind nach Schätzung der Kammer betroffen?",
                            top_k=3, mode="dense")
    assert (hits[0].source, hits[0].page) == ("zwickau.pdf", 3) and "achtzig" in hits[0].text
    hits = assistant.search("Where will the battery cells be produced later?", top_k=3, mode="dense")
    assert hits[0].source == "salzgitter.docx" and hits[0].page is None
