"""Tests for ingest.readers: each format, folder walking, and every kind of unusable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.readers import RawDoc, Skipped, iter_documents

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
BODY = "Die beiden Autobauer wollen künftig bei alternativen Antrieben eng zusammenarbeiten."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder of its own, so nothing else a fixture puts under tmp_path gets ingested."""
    path = tmp_path / "articles"
    path.mkdir()
    return path


def read(*paths: Path, **kwargs: int) -> list[RawDoc | Skipped]:
    return list(iter_documents(list(paths), **kwargs))


def test_txt_file_is_read_with_its_name_as_source(folder: Path) -> None:
    (folder / "a.txt").write_text(BODY + "\r\n\r\nZweiter Absatz.", encoding="utf-8")
    assert read(folder) == [RawDoc(source="a.txt", text=BODY + "\n\nZweiter Absatz.")]


def test_folder_is_walked_sorted_with_posix_sources_and_hidden_entries_skipped(folder: Path) -> None:
    for rel in ["b.txt", "a/z.txt", "a/sub/y.txt", ".hidden.txt", ".git/x.txt", "a/.cache/w.txt"]:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(f"{BODY} ({rel})", encoding="utf-8")
    assert [d.source for d in read(folder)] == ["a/sub/y.txt", "a/z.txt", "b.txt"]


def test_single_file_source_is_relative_to_its_parent(folder: Path) -> None:
    path = folder / "deep" / "er" / "artikel.txt"
    path.parent.mkdir(parents=True)
    path.write_text(BODY, encoding="utf-8")
    assert [d.source for d in read(path)] == ["artikel.txt"]


def test_corpus_folder_yields_all_five_articles() -> None:
    docs = read(CORPUS)
    assert all(isinstance(d, RawDoc) for d in docs)
    assert [d.source[:3] for d in docs] == ["000", "001", "002", "003", "004"]


def test_markdown_front_matter_overrides_and_headings_lose_their_hashes(folder: Path) -> None:
    (folder / "n.md").write_text(
        "---\ntitle: Given title\nsource: Handelsblatt\ndate: 2018-06-01\nurl: https://example.org/a\n"
        "lang: en\n---\n## Kooperation: GM flirtet mit BMW\n\n" + BODY + "\n",
        encoding="utf-8",
    )
    [doc] = read(folder)
    assert doc == RawDoc(
        source="n.md",
        text="Kooperation: GM flirtet mit BMW\n\n" + BODY,
        title="Given title",
        outlet="Handelsblatt",
        date="2018-06-01",  # a YAML date object, given back as ISO text
        url="https://example.org/a",
        language="en",
    )


@pytest.mark.parametrize(
    ("front_matter", "field", "expected"),
    [
        ("outlet: dpa", "outlet", "dpa"),
        ("publisher: Reuters", "outlet", "Reuters"),
        ("language: de", "language", "de"),
        ("date: Juni 2018", "date", "Juni 2018"),
        ("date: 2018", "date", "2018"),
        ("Title: Groß geschrieben", "title", "Groß geschrieben"),
        ("title: [eine, liste]", "title", None),
    ],
)
def test_markdown_front_matter_keys(
    folder: Path, front_matter: str, field: str, expected: str | None
) -> None:
    (folder / "n.markdown").write_text(f"---\n{front_matter}\n---\n{BODY}", encoding="utf-8")
    [doc] = read(folder)
    assert isinstance(doc, RawDoc)
    assert getattr(doc, field) == expected


def test_html_main_text_without_navigation_and_footer(folder: Path) -> None:
    html = f"""<!doctype html><html lang="de"><head><title>BMW baut aus | Handelsblatt</title>
    <meta property="og:site_name" content="Handelsblatt"><meta name="date" content="2018-06-01"></head>
    <body><nav><ul><li><a href="/">Startseite</a></li><li><a href="/i">Industrie</a></li></ul></nav>
    <article><h1>BMW und Toyota bauen Partnerschaft aus</h1><p>{BODY}</p>
    <p>Beide Hersteller hatten bereits im Dezember eine erste Vereinbarung unterzeichnet.</p></article>
    <footer><p>Impressum | Datenschutz | Kontakt</p></footer></body></html>"""
    (folder / "page.html").write_text(html, encoding="utf-8")
    [doc] = read(folder)
    assert isinstance(doc, RawDoc)
    assert BODY in doc.text
    assert "Dezember eine erste Vereinbarung" in doc.text
    for furniture in ("Startseite", "Impressum", "Datenschutz"):
        assert furniture not in doc.text
    assert (doc.title, doc.outlet, doc.date, doc.language) == (
        "BMW und Toyota bauen Partnerschaft aus",
        "Handelsblatt",
        "2018-06-01",
        "de",
    )


def test_jsonl_lines_each_become_a_document_and_bad_lines_are_skipped(folder: Path) -> None:
    lines = [
        json.dumps(
            {"text": BODY, "title": "Eins", "outlet": "dpa", "date": "2018-06", "url": "u", "language": "de"}
        ),
        '{"text": "kaputt",',
        "",
        json.dumps({"title": "Ohne Text"}),
        json.dumps({"body": "Text im Feld body."}),
        "[1, 2]",
        json.dumps({"content": "Text im Feld content.", "publisher": "AFP", "lang": "en"}),
    ]
    (folder / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = read(folder)
    assert [d.source for d in docs] == [f"export.jsonl#{n}" for n in (1, 2, 4, 5, 6, 7)]
    assert docs[0] == RawDoc("export.jsonl#1", BODY, "Eins", "dpa", "2018-06", "u", "de")
    assert isinstance(docs[1], Skipped)
    assert str(docs[1]).startswith("export.jsonl#2: invalid JSON (")
    assert isinstance(docs[2], Skipped)
    assert "no article text" in docs[2].reason
    assert docs[3] == RawDoc("export.jsonl#5", "Text im Feld body.")
    assert isinstance(docs[4], Skipped)
    assert "not a JSON object" in docs[4].reason
    assert docs[5] == RawDoc("export.jsonl#7", "Text im Feld content.", outlet="AFP", language="en")


def test_utf8_bom_is_accepted(folder: Path) -> None:
    (folder / "bom.txt").write_bytes(b"\xef\xbb\xbf" + BODY.encode())
    assert read(folder) == [RawDoc(source="bom.txt", text=BODY)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\t\n  ", "only whitespace"),
        ("nul.txt", b"Text\x00mit\x00Nullbytes", "binary file"),
        ("control.txt", bytes(range(1, 9)) * 50 + b"etwas Text", "binary file"),
        ("latin1.txt", "Grüße aus München".encode("latin-1"), "not valid UTF-8 (byte 0xfc at offset 2)"),
        ("bom-latin1.txt", b"\xef\xbb\xbf" + "Grüße".encode("latin-1"), "offset 5): convert it to UTF-8"),
        ("doc.odt", b"PK\x03\x04 etwas", "unsupported file type .odt (supported: .txt .md .html .jsonl .pdf .docx"),
        ("scan.txt", b"%PDF-1.4\n\x00\x01\x02", "binary file, not text: it looks like a PDF; rename it to .pdf"),
        ("README", b"ohne Endung", "unsupported file type (no extension)"),
        ("page.html", b"<html><head><title>Titel</title></head></html>", "no main text found in the HTML"),
        ("nav.htm", b"<html><body><nav><a href='/'>Start</a></nav></body></html>", "no main text"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nText", "malformed YAML front matter (while parsing"),
        ("only-meta.md", b"---\ntitle: Nur Metadaten\n---\n\n", "no text after the front matter"),
        ("blank.jsonl", b"\n\n", "only whitespace"),
    ],
)
def test_unusable_files_are_skipped_with_a_reason(
    folder: Path, name: str, content: bytes, reason: str
) -> None:
    (folder / name).write_bytes(content)
    [item] = read(folder)
    assert isinstance(item, Skipped)
    assert item.source == name
    assert reason in item.reason


def test_file_over_the_size_limit_is_skipped(folder: Path) -> None:
    (folder / "big.txt").write_text(BODY, encoding="utf-8")
    [item] = read(folder, max_file_bytes=20)
    assert isinstance(item, Skipped)
    assert "file too large" in item.reason
    assert read(folder, max_file_bytes=10_000) == [RawDoc(source="big.txt", text=BODY)]


def test_missing_path_is_skipped_and_the_rest_still_read(folder: Path) -> None:
    (folder / "a.txt").write_text(BODY, encoding="utf-8")
    missing = folder / "gibt-es-nicht"
    items = read(missing, folder / "a.txt")
    assert items[0] == Skipped(
        str(missing), "path does not exist: check the spelling or give an existing file or folder"
    )
    assert items[1] == RawDoc(source="a.txt", text=BODY)


def test_bad_files_do_not_stop_the_good_ones(folder: Path) -> None:
    (folder / "a.txt").write_bytes(b"\x00\x01")
    (folder / "b.pdf").write_bytes(b"%PDF")
    (folder / "c.txt").write_text(BODY, encoding="utf-8")
    items = read(folder)
    assert [type(i).__name__ for i in items] == ["Skipped", "Skipped", "RawDoc"]
