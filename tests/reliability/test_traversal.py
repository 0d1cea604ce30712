"""Nothing outside the ingested documents is served: document ids are looked up in the index (never used as
paths), and the chat UI's file routes refuse files from the disk, with or without the key."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.factory import build_assistant, build_store
from assistant.settings import PROJECT_ROOT
from ingest.pipeline import ingest
from tests.conftest import CORPUS
from tests.fakes import HashEmbedding, ScriptedLLM, fake_settings
from tests.reliability.conftest import KEY, Built
from ui.server import create_app

SECRET = "top-secret-4e1d9a-not-an-article"

DOC_ID_ATTEMPTS = [
    "../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "....//....//etc/passwd",
    "..\\..\\..\\etc\\passwd",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "secret.txt",
    "..%2Fsecret.txt",
    "001_3ad74785a6077ba1.txt",  # an ingested file's name is not a document id
    "corpus%2F001_3ad74785a6077ba1.txt",
    "%00",
    "x" * 5000,
]


def _leaks(text: str) -> bool:
    return "root:x:0:0" in text or SECRET in text or "[build-system]" in text or "SQLite format" in text


@pytest.fixture
def secret_in_cwd(tmp_path: Path) -> Path:
    """A private file in the server's working directory (conftest runs every test in tmp_path)."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("doc_id", DOC_ID_ATTEMPTS)
def test_document_route_never_reads_the_disk(
    make_app: Callable[..., Built], secret_in_cwd: Path, doc_id: str
) -> None:
    r = TestClient(make_app().app).get(f"/api/documents/{doc_id}")
    assert r.status_code in (404, 405, 422), (doc_id, r.status_code)
    assert not _leaks(r.text)


def test_document_text_comes_from_the_index_not_from_the_file(tmp_path: Path) -> None:
    """Changing or deleting an ingested file changes nothing that is served until it is ingested again."""
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(CORPUS / "001_3ad74785a6077ba1.txt", articles / "a.txt")
    settings = fake_settings(tmp_path / "index")
    embedder = HashEmbedding()
    ingest([articles], build_store(settings, embedder), embedder)
    client = TestClient(
        create_app(
            build_assistant(settings, embedder=embedder, llm=ScriptedLLM("x")), settings, with_ui=False
        )
    )
    doc = client.get("/api/documents").json()["documents"][0]
    before = client.get(f"/api/documents/{doc['doc_id']}").json()["text"]
    (articles / "a.txt").write_text(SECRET)
    assert client.get(f"/api/documents/{doc['doc_id']}").json()["text"] == before
    (articles / "a.txt").unlink()
    assert client.get(f"/api/documents/{doc['doc_id']}").json()["text"] == before


FILE_ROUTES = [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file%3D%2Fetc%2Fpasswd",
    "/file=/etc/passwd",
    "/file=../../../../etc/passwd",
    "/gradio_api/file={secret}",
    "/gradio_api/file=secret.txt",
    "/file={secret}",
    "/gradio_api/file={project}/pyproject.toml",
    "/gradio_api/file={index}/chroma/chroma.sqlite3",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/assets/../../../../etc/passwd",
    "/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/gradio_api/proxy=file:///etc/passwd",
    "/custom_component/x/y/../../../../../etc/passwd",
]


@pytest.fixture(scope="module")
def ui_app(fake_index: Path) -> Built:
    """One app with the chat UI for all file-route attempts (building Gradio costs seconds)."""
    settings = fake_settings(fake_index, api_key=KEY)
    assistant = build_assistant(settings, embedder=HashEmbedding(), llm=ScriptedLLM("x"))
    return Built(create_app(assistant, settings, with_ui=True), assistant, settings)


@pytest.mark.parametrize("with_key", [False, True], ids=["anonymous", "with-key"])
@pytest.mark.parametrize("route", FILE_ROUTES)
def test_ui_file_routes_serve_nothing_from_the_disk(
    ui_app: Built, secret_in_cwd: Path, route: str, with_key: bool
) -> None:
    path = route.format(secret=secret_in_cwd, project=PROJECT_ROOT, index=ui_app.settings.storage.index_dir)
    headers = {"X-API-Key": KEY} if with_key else {}
    r = TestClient(ui_app.app).get(path, headers=headers, follow_redirects=False)
    assert not _leaks(r.text), (path, r.status_code)
    assert 400 <= r.status_code < 500, (path, r.status_code)


def test_ui_still_serves_its_own_files_with_the_key(ui_app: Built) -> None:
    """The control for the test above: the same client does get the UI's own resources."""
    client = TestClient(ui_app.app)
    assert client.get("/config", headers={"X-API-Key": KEY}).status_code == 200
    assert client.get("/", headers={"X-API-Key": KEY}).status_code == 200
