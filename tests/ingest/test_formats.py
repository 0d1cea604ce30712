"""PDF, DOCX and RSS/Atom input: what is read, page numbers from the PDF to search results, and bad input."""

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
from ingest import documents, feeds
from ingest.chunking import chunk_article
from ingest.metadata import build_article
from ingest.pipeline import ingest
from ingest.readers import RawDoc, Skipped, iter_documents
from tests.conftest import CORPUS
from tests.documents import PAGES, SENTENCE_ON_PAGE_3, docx_blocks, write_docx, write_pdf, write_scanned_pdf
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


# --- feeds ----------------------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Freie Presse – Wirtschaft</title><link>https://example.org/</link><language>de-de</language>
  <description>Nachrichten</description>
  <item>
    <title>Zwickau baut nur noch Elektroautos</title>
    <link>https://example.org/zwickau</link>
    <guid isPermaLink="false">fp-1001</guid>
    <pubDate>Tue, 12 Mar 2019 00:30:00 +0100</pubDate>
    <description>Kurzfassung: Zwickau stellt um.</description>
    <content:encoded><![CDATA[<p>Die Volkswagen AG hat angekündigt, in <b>Zwickau</b> nur noch
      Elektroautos zu bauen.</p><p>Der Betriebsrat begrüßte die Entscheidung.<br/>Die Gewerkschaft
      verlangt eine Garantie.</p><script>tracker()</script>]]></content:encoded>
  </item>
  <item>
    <title>Zellen aus Salzgitter &amp; Asien</title>
    <link>https://example.org/salzgitter</link>
    <pubDate>Wed, 13 Mar 2019 18:00:00 GMT</pubDate>
    <description>&lt;p&gt;Die Batteriezellen kommen zunächst aus Asien, später aus Salzgitter.&lt;/p&gt;</description>
  </item>
  <item>
    <title>Nur ein Titel</title>
    <link>https://example.org/nur-titel</link>
    <pubDate>Thu, 14 Mar 2019 09:00:00 +0100</pubDate>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="text">Auto Weekly</title>
  <id>urn:uuid:feed</id><updated>2019-03-14T10:00:00Z</updated>
  <entry>
    <title>Zwickau goes electric</title>
    <id>tag:example.org,2019:zwickau</id>
    <link rel="alternate" href="https://example.org/en/zwickau"/>
    <published>2019-03-12T23:30:00-05:00</published>
    <updated>2019-03-14T10:00:00Z</updated>
    <summary>Short: Zwickau switches.</summary>
    <content type="html">&lt;p&gt;Volkswagen will build only electric cars in Zwickau from 2020.&lt;/p&gt;
      &lt;p&gt;The works council welcomed the decision.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title type="html">Cells from &lt;em&gt;Salzgitter&lt;/em&gt;</title>
    <id>tag:example.org,2019:salzgitter</id>
    <link href="https://example.org/en/salzgitter"/>
    <updated>2019-03-13T08:00:00+01:00</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Battery cells will come from Asia
      at first, later from Salzgitter.</p></div></content>
  </entry>
</feed>
"""


def test_rss_items_become_articles_with_channel_outlet_iso_dates_and_links(folder: Path) -> None:
    (folder / "presse.rss").write_text(RSS, encoding="utf-8")
    first, second, no_text = read(folder / "presse.rss")
    assert first == RawDoc(
        source="presse.rss#fp-1001",
        text="Die Volkswagen AG hat angekündigt, in Zwickau nur noch Elektroautos zu bauen.\n\n"
             "Der Betriebsrat begrüßte die Entscheidung.\nDie Gewerkschaft verlangt eine Garantie.",
        title="Zwickau baut nur noch Elektroautos", outlet="Freie Presse – Wirtschaft",
        date="2019-03-12",  # the date as the feed states it (+01:00), not the UTC day before
        url="https://example.org/zwickau", language="de-de",
    )
    assert isinstance(second, RawDoc)
    assert second.source == "presse.rss#https://example.org/salzgitter"  # no guid: the link names the item
    assert (second.title, second.date) == ("Zellen aus Salzgitter & Asien", "2019-03-13")
    assert second.text == "Die Batteriezellen kommen zunächst aus Asien, später aus Salzgitter."
    assert no_text == Skipped("presse.rss#https://example.org/nur-titel", feeds.NO_ITEM_TEXT)


def test_atom_entries_become_articles(folder: Path) -> None:
    (folder / "weekly.atom").write_text(ATOM, encoding="utf-8")
    first, second = read(folder / "weekly.atom")
    assert isinstance(first, RawDoc) and isinstance(second, RawDoc)
    assert (first.source, first.title, first.outlet, first.date, first.url) == (
        "weekly.atom#tag:example.org,2019:zwickau", "Zwickau goes electric", "Auto Weekly", "2019-03-12",
        "https://example.org/en/zwickau")
    assert first.text == ("Volkswagen will build only electric cars in Zwickau from 2020.\n\n"
                          "The works council welcomed the decision.")
    assert (second.title, second.date, second.url) == (
        "Cells from Salzgitter", "2019-03-13", "https://example.org/en/salzgitter")  # no published: updated
    assert second.text == "Battery cells will come from Asia at first, later from Salzgitter."
    assert built(second).language == "en"


def test_feed_items_are_ingested_with_their_metadata(settings: Settings, folder: Path) -> None:
    (folder / "presse.xml").write_text(RSS, encoding="utf-8")
    store = build_store(settings, HashEmbedding())
    summary = ingest([folder], store, HashEmbedding())
    assert (summary.new, [s.source for s in summary.skipped]) == (2, ["presse.xml#https://example.org/nur-titel"])
    docs = {d.source: d for d in store.documents()}
    assert docs["presse.xml#fp-1001"].outlet == "Freie Presse – Wirtschaft"
    assert docs["presse.xml#fp-1001"].url == "https://example.org/zwickau"
    assert docs["presse.xml#https://example.org/salzgitter"].date == "2019-03-13"


def test_a_newer_download_of_a_feed_adds_only_the_new_items(settings: Settings, folder: Path) -> None:
    store = build_store(settings, HashEmbedding())
    (folder / "presse.rss").write_text(RSS, encoding="utf-8")
    ingest([folder], store, HashEmbedding())
    newer = RSS.replace("<item>", """<item><title>Neu</title><guid>fp-1002</guid>
        <description>Ein neuer Artikel steht jetzt ganz oben im Feed.</description></item><item>""", 1)
    (folder / "presse.rss").write_text(newer, encoding="utf-8")
    summary = ingest([folder], store, HashEmbedding())
    assert (summary.new, summary.changed, summary.unchanged) == (1, 0, 2)  # items keep their ids


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


def test_a_broken_feed_yields_the_items_before_the_break_and_says_so(folder: Path) -> None:
    (folder / "cut.rss").write_text(RSS[: RSS.index("<item>\n    <title>Nur ein Titel")], encoding="utf-8")
    *items, broken = read(folder / "cut.rss")
    assert [type(i).__name__ for i in items] == ["RawDoc", "RawDoc"]
    assert isinstance(broken, Skipped) and broken.source == "cut.rss"
    assert broken.reason.startswith("malformed feed (XML error at line") and "2 items before" in broken.reason


def test_a_repeated_item_id_is_named_and_read_once(folder: Path) -> None:
    item = RSS[RSS.index("<item>") : RSS.index("</item>") + len("</item>")]
    (folder / "twice.rss").write_text(RSS.replace(item, item + item), encoding="utf-8")
    items = read(folder / "twice.rss")
    assert [i.source for i in items if isinstance(i, RawDoc)].count("twice.rss#fp-1001") == 1
    assert any(isinstance(i, Skipped) and "repeats the id" in i.reason for i in items)


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
