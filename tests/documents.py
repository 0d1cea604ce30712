"""Files for format tests: PDFs and DOCX files (German text over several pages, metadata, encryption, running
headers) and RSS/Atom feeds."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import docx
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate

# A three-page article: every sentence is on exactly one page, and each page has words no other page has.
PAGES = [
    [
        "Volkswagen stellt das Werk in Zwickau vollständig auf Elektroautos um",
        "Die Volkswagen AG hat am Montag angekündigt, dass in Zwickau künftig nur noch Fahrzeuge mit "
        "Batterieantrieb vom Band laufen sollen. Der Umbau der Hallen beginnt nach Angaben des Konzerns im "
        "Sommer und soll bis zum Jahresende abgeschlossen sein. Der Betriebsrat begrüßte die Entscheidung, "
        "forderte aber eine Beschäftigungsgarantie für alle Mitarbeiter des Standorts.",
        "Nach Angaben des Unternehmens sollen ab 2020 jährlich bis zu 330.000 Fahrzeuge in Zwickau gebaut "
        "werden. Die Umstellung kostet rund 1,2 Milliarden Euro und ist Teil einer größeren Offensive, mit der "
        "der Konzern seine Flotte bis zur Mitte des nächsten Jahrzehnts weitgehend elektrifizieren will.",
    ],
    [
        "Batteriezellen aus Salzgitter",
        "Die Batteriezellen für die neuen Modelle sollen zunächst aus Asien kommen. Später will Volkswagen "
        "gemeinsam mit einem schwedischen Partner eigene Zellen in Salzgitter fertigen, wo bereits eine "
        "Pilotlinie mit dreihundert Beschäftigten läuft. Fachleute halten diesen Schritt für überfällig, weil "
        "die Zelle rund ein Drittel der Kosten eines Elektroautos ausmacht.",
        "Die Gewerkschaft verlangt, dass bei der Zellfertigung in Salzgitter nach Tarif bezahlt wird. Die "
        "Verhandlungen darüber sollen im Herbst beginnen, teilte die Bezirksleitung mit.",
    ],
    [
        "Für die Zulieferer in Sachsen ist der Umbau Chance und Risiko zugleich. Betriebe, die bisher Teile "
        "für Verbrennungsmotoren liefern, müssen sich neue Kunden suchen oder ihre Produktion umstellen. Die "
        "Bürgermeisterin von Zwickau sprach von einer Größenordnung, die die ganze Region verändern werde.",
        "Die Industrie- und Handelskammer Chemnitz schätzt, dass rund achtzig Zulieferbetriebe in der Region "
        "betroffen sind. Viele von ihnen hätten schon mit der Umstellung begonnen, sagte ein Sprecher der Kammer.",
    ],
]
SENTENCE_ON_PAGE_3 = "Die Industrie- und Handelskammer Chemnitz schätzt, dass rund achtzig Zulieferbetriebe"


def write_pdf(path: Path, pages: Sequence[Sequence[str]] = PAGES, *, title: str | None = None,
              created: datetime | None = None, headings: bool = True, running_header: str | None = None,
              user_password: str | None = None, owner_password: str | None = None) -> Path:
    """A PDF with one page per entry of ``pages`` (paragraphs; with ``headings``, a short first paragraph of a
    page is set as a heading), metadata, a running header and page numbers, optionally encrypted."""
    styles = getSampleStyleSheet()
    flow: list[Flowable] = []
    for n, paragraphs in enumerate(pages):
        if n:
            flow.append(PageBreak())
        for k, text in enumerate(paragraphs):
            style = "BodyText"
            if headings and k == 0 and len(text.split()) <= 12:
                style = "Title" if n == 0 else "Heading2"
            flow.append(Paragraph(text, styles[style]))

    def furniture(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setFont("Helvetica", 8)
        if running_header:
            canvas.drawString(72, A4[1] - 40, running_header)
        canvas.drawString(A4[0] / 2, 30, f"Seite {doc.page} von {len(pages)}")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=title or "untitled").build(
        flow, onFirstPage=furniture, onLaterPages=furniture)
    writer = PdfWriter(clone_from=io.BytesIO(buf.getvalue()))
    metadata = {"/Producer": "tests"}
    if created:
        metadata["/CreationDate"] = created.strftime("D:%Y%m%d%H%M%S+01'00'")
    writer.add_metadata(metadata)
    if user_password is not None or owner_password is not None:
        writer.encrypt(user_password or "", owner_password, algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF whose pages hold only an image: no text layer, like a scan without OCR."""
    from PIL import Image

    canvas = Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        image = Image.new("L", (200, 280), color=230)
        canvas.drawImage(ImageReader(image), 72, 200, width=400, height=560)
        canvas.showPage()
    canvas.save()
    return path


def write_docx(path: Path, blocks: Sequence[tuple[str, str]], *, title: str | None = None,
               created: datetime | None = None, language: str | None = None,
               table: Sequence[Sequence[str]] = ()) -> Path:
    """A DOCX of (style, text) paragraphs ("Title", "Heading 1", "Normal", ...), then an optional table."""
    document = docx.Document()
    for style, text in blocks:
        document.add_paragraph(text, style=style)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    props = document.core_properties
    if title is not None:
        props.title = title
    if created is not None:
        props.created = created
    if language is not None:
        props.language = language
    document.save(str(path))
    return path


def docx_blocks(pages: Sequence[Sequence[str]] = PAGES) -> list[tuple[str, str]]:
    """The article of ``PAGES`` as DOCX paragraphs: the first line a title, the other short ones headings."""
    blocks = []
    for n, paragraphs in enumerate(pages):
        for k, text in enumerate(paragraphs):
            heading = k == 0 and len(text.split()) <= 12
            blocks.append(("Title" if heading and n == 0 else "Heading 1" if heading else "Normal", text))
    return blocks


# An RSS 2.0 feed: full text in content:encoded, an item with only a description (escaped HTML), one without text.
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
