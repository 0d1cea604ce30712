"""Tests for ingest.feeds: RSS and Atom items as articles, their metadata, and broken or empty feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.factory import build_store
from assistant.models import Article
from assistant.settings import Settings
from ingest import feeds
from ingest.metadata import build_article
from ingest.pipeline import ingest
from ingest.readers import RawDoc, Skipped, iter_documents
from tests.documents import ATOM, RSS
from tests.fakes import HashEmbedding


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "feeds"
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


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Tue, 12 Mar 2019 00:30:00 +0100", "2019-03-12"),
        ("Mon, 11 Mar 2019 23:30:00 -0500", "2019-03-11"),
        ("Tue, 12 Mar 2019 08:00:00 GMT", "2019-03-12"),
        ("2019-03-12T08:00:00+01:00", "2019-03-12"),
        ("2019-03-12", "2019-03-12"),
        ("12.03.2019", "2019-03-12"),
        ("12. März 2019", "2019-03-12"),
        ("irgendwann", None),
    ],
)
def test_feed_dates_become_iso_dates(folder: Path, date: str, expected: str | None) -> None:
    (folder / "f.rss").write_text(
        f"<rss version='2.0'><channel><title>T</title><item><title>AT&amp;T &lt;Time Warner&gt;</title>"
        f"<guid>1</guid><pubDate>{date}</pubDate><description>Ein Artikel mit genug Text darin.</description>"
        "</item></channel></rss>", encoding="utf-8")
    doc = read_one(folder / "f.rss")
    assert (doc.date, doc.title) == (expected, "AT&T <Time Warner>")  # a plain-text title stays as it is


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
