"""The Articles tab in headless Chromium: upload files and a .zip, see each file's result and the article
list, ask about an article, delete it. With fakes (hash embedder, scripted LLM) on an in-process server;
the real-model version with a PDF and a DOCX is ``test_pdf_and_docx_upload_ask_delete_with_the_real_models``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import CORPUS
from tests.live import ThreadServer
from tests.ui.conftest import fake_assistant
from tests.ui.test_browser import ANSWER_TIMEOUT_MS, shot

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

JOB_TIMEOUT_MS = 120_000


def open_articles(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("tab", name="Artikel / Articles").click()
    page.locator("#upload-files").wait_for()


def upload_files(page: Any, paths: list[Path], expect: str | None = None) -> Any:
    """Choose ``paths`` in the file box, press Add, wait for ``expect`` (default: the end of a job with the
    first file); the status element."""
    name = paths[0].name
    expect = expect or f'.job[data-state=done] td:text-is("{name}"), .job[data-state=failed] td:text-is("{name}")'
    chosen = page.locator("#upload-files").get_by_text(paths[0].name).first
    for attempt in range(3):  # Gradio may still be clearing the box after the previous job and drop the choice
        page.set_input_files("#upload-files input[type=file]", [str(p) for p in paths])
        try:
            chosen.wait_for(timeout=10_000 * (attempt + 1))
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.click("#upload-add")
    status = page.locator("#upload-status")
    try:
        status.locator(expect).first.wait_for(timeout=JOB_TIMEOUT_MS)
    except PlaywrightTimeout:  # say what the page shows instead (a rare timeout on a loaded machine, seen once)
        shot(page, f"upload-timeout-{name}", full_page=True)
        files = page.locator("#upload-files").inner_text()
        raise AssertionError(f"no finished job for {name} after {JOB_TIMEOUT_MS} ms; the status shows "
                             f"{status.inner_text()!r}, the file box {files!r}") from None
    return status


def listed_sources(page: Any) -> str:
    return str(page.locator("#article-list").inner_text())


def test_upload_list_ask_and_delete_with_fakes(browser: Any, tmp_path: Path) -> None:
    from ui.server import create_app

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "nissan.txt").write_text((CORPUS / "000_cf3a5fd77fe47193.txt").read_text(encoding="utf-8"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mappe/ford.txt", (CORPUS / "001_3ad74785a6077ba1.txt").read_text(encoding="utf-8"))
        z.writestr("mappe/leer.txt", "")
    (folder / "paket.zip").write_bytes(buf.getvalue())
    (folder / "fake.zip").write_text("<html><body>not an archive</body></html>")

    assistant = fake_assistant(tmp_path / "index", corpus=None)
    with ThreadServer(create_app(assistant, assistant.settings)) as srv:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            open_articles(page, srv.url)
            status = upload_files(page, [folder / "nissan.txt", folder / "paket.zip"])
            assert status.locator(".job[data-state=done]").count() == 1, status.inner_text()
            rows = {r.locator("td").first.inner_text(): r.get_attribute("data-status")
                    for r in status.locator("tr[data-status]").all()}
            assert rows == {"nissan.txt": "new", "paket.zip/mappe/ford.txt": "new", "paket.zip/mappe/leer.txt":
                            "skipped"}, rows
            assert "empty" in status.inner_text()
            page.wait_for_function("document.querySelector('#article-list').innerText.includes('uploads/nissan.txt')")
            assert "uploads/paket.zip/mappe/ford.txt" in listed_sources(page)
            shot(page, "20_articles_uploaded")

            refused = upload_files(page, [folder / "fake.zip"], expect=".state-error")
            assert refused.locator(".state-error").count() == 1
            assert "HTML" in refused.inner_text()

            # ask about the new article (picked after the upload): the scripted model answers from it
            page.locator("#article-pick input").click()
            page.get_by_role("option", name="uploads/nissan.txt").first.click()
            page.fill("#article-question textarea", "Wann wurde Carlos Ghosn verhaftet?")
            page.click("#article-ask")
            answer = page.locator("#article-answer .answer")
            answer.wait_for(timeout=ANSWER_TIMEOUT_MS)
            assert "2018" in answer.inner_text()
            assert "uploads/nissan.txt" in page.locator("#article-answer").inner_text()
            shot(page, "21_articles_answer")

            page.click("#article-delete")
            page.wait_for_function(
                "!document.querySelector('#article-list').innerText.includes('uploads/nissan.txt')")
            assert "Gelöscht" in page.locator("#article-note").inner_text()
            assert not (tmp_path / "index" / "uploads" / "nissan.txt").exists()
            assert [d.source for d in assistant.documents()] == ["uploads/paket.zip/mappe/ford.txt"]
            shot(page, "22_articles_deleted")
        finally:
            page.close()


# --- real models: a PDF and a DOCX through the browser ---------------------------------------------------
ZWICKAU_Q = "Wie viele Zulieferbetriebe in der Region sind nach Schätzung der IHK Chemnitz betroffen?"
TIDE = [("Title", "Quellstadt eröffnet ein Gezeitenkraftwerk"),
        ("Normal", "Die Stadtwerke von Quellstadt eröffnen am Montag ein Gezeitenkraftwerk an der Nordmole. Es "
                   "soll jährlich 48 Gigawattstunden Strom erzeugen, sagte Werkleiterin Ilka Brandhorst."),
        ("Normal", "Umweltverbände begrüßten das Projekt, warnten aber vor Folgen für die Schweinswale.")]


@pytest.mark.model_answers
def test_pdf_and_docx_upload_ask_delete_with_the_real_models(browser: Any, real_server: Any,
                                                             tmp_path: Path) -> None:
    import httpx

    from tests.documents import write_docx, write_pdf
    from tests.ui.test_browser import ask

    pdf = write_pdf(tmp_path / "zwickau.pdf", title="Volkswagen stellt Zwickau auf Elektroautos um")
    docx_file = write_docx(tmp_path / "quellstadt.docx", TIDE, title="Quellstadt eröffnet ein Gezeitenkraftwerk")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        open_articles(page, real_server.url)
        status = upload_files(page, [pdf, docx_file])
        rows = {r.locator("td").first.inner_text(): r.get_attribute("data-status")
                for r in status.locator("tr[data-status]").all()}
        assert rows == {"zwickau.pdf": "new", "quellstadt.docx": "new"}, status.inner_text()
        page.wait_for_function("document.querySelector('#article-list').innerText.includes('uploads/zwickau.pdf')")
        assert "uploads/quellstadt.docx" in listed_sources(page)
        shot(page, "23_pdf_docx_listed")

        page.get_by_role("tab", name="Fragen / Ask").click()
        bot = ask(page, ZWICKAU_Q)
        sources = page.locator("#sources")
        shot(page, "24_pdf_answer_with_page")
        assert bot.locator(".answer").count() == 1, bot.inner_text()
        assert "achtzig" in bot.inner_text() or "80" in bot.inner_text(), bot.inner_text()
        card = sources.locator(".src-card", has_text="uploads/zwickau.pdf").first
        assert "S. 3" in card.locator(".src-meta").inner_text(), card.inner_text()

        page.get_by_role("tab", name="Artikel / Articles").click()
        page.locator("#article-pick input").click()
        page.get_by_role("option", name="zwickau.pdf").first.click()
        page.click("#article-delete")
        page.wait_for_function("!document.querySelector('#article-list').innerText.includes('uploads/zwickau.pdf')")

        page.get_by_role("tab", name="Fragen / Ask").click()
        page.click("#new")
        page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")
        bot = ask(page, ZWICKAU_Q)
        shot(page, "25_pdf_deleted_not_in_sources")
        assert "zwickau.pdf" not in page.locator("#sources").inner_text()
        assert "achtzig" not in bot.inner_text()
    finally:
        page.close()
        with httpx.Client(base_url=real_server.url) as client:  # leave the shared server's index as it was
            for d in client.get("/api/documents").json()["documents"]:
                if d["source"] in ("uploads/zwickau.pdf", "uploads/quellstadt.docx"):
                    client.delete(f"/api/documents/{d['doc_id']}")
