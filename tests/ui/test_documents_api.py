"""Upload, job and delete routes against an in-process app (hash embedder, scripted LLM, own index)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import CORPUS
from tests.ui.conftest import fake_assistant
from ui.server import create_app

GHOSN_TEXT = (CORPUS / "000_cf3a5fd77fe47193.txt").read_text(encoding="utf-8")
OTHER_TEXT = (CORPUS / "004_575870f288329a95.txt").read_text(encoding="utf-8")
ZEBRA = ("Der Zoo von Quellstadt meldet die Geburt eines Zebrafohlens namens Ziggy. Die Tierärztin sagte, "
         "das Fohlen sei gesund und wiege 31 Kilogramm. Der Zoo erwartet am Wochenende viele Besucher.\n")


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, Any]:
    assistant = fake_assistant(tmp_path / "index", corpus=None, upload_max_file_bytes=50_000,
                               upload_max_request_bytes=400_000, upload_max_files=5,
                               upload_zip_max_bytes=120_000)
    app = create_app(assistant, assistant.settings, with_ui=False)
    return {"client": TestClient(app), "assistant": assistant, "index": tmp_path / "index"}


def wait_done(client: TestClient, url: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(url).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def upload(client: TestClient, *files: tuple[str, bytes], **kw: Any) -> Any:
    return client.post("/api/documents", files=[("files", (n, data)) for n, data in files], **kw)


def leftovers(index: Path) -> list[str]:
    """Files left in the staging area (a refused upload must leave none)."""
    staging = index / "uploads" / ".staging"
    return [str(p.relative_to(staging)) for p in staging.rglob("*")] if staging.exists() else []


def test_upload_poll_search_reupload_delete(app_env: dict[str, Any]) -> None:
    client, index = app_env["client"], app_env["index"]
    r = upload(client, ("zoo.txt", ZEBRA.encode()), ("nissan.txt", GHOSN_TEXT.encode()))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["status_url"]
    job = wait_done(client, r.json()["status_url"])
    assert job["state"] == "done" and job["done"] == job["total"] == 2
    assert {f["name"]: f["status"] for f in job["files"]} == {"zoo.txt": "new", "nissan.txt": "new"}
    assert all(f["chunks"] > 0 and len(f["doc_ids"]) == 1 for f in job["files"])
    assert (index / "uploads" / "zoo.txt").read_text(encoding="utf-8") == ZEBRA  # the kept original
    assert leftovers(index) == []

    hits = client.post("/api/search", json={"query": "Zebrafohlen Ziggy Zoo"}).json()["results"]
    assert hits[0]["source"] == "uploads/zoo.txt"
    doc_id = hits[0]["doc_id"]

    again = wait_done(client, upload(client, ("zoo.txt", ZEBRA.encode())).json()["status_url"])
    assert again["files"][0]["status"] == "unchanged"
    changed = wait_done(client, upload(client, ("zoo.txt", (ZEBRA + "Ziggy trinkt.\n").encode())).json()["status_url"])
    assert changed["files"][0]["status"] == "changed"

    d = client.delete(f"/api/documents/{doc_id}")
    assert d.status_code == 200 and d.json() == {"doc_id": doc_id, "source": "uploads/zoo.txt",
                                                 "original_removed": True}
    assert not (index / "uploads" / "zoo.txt").exists()
    for mode in ("hybrid", "dense", "bm25"):
        found = client.post("/api/search", json={"query": "Zebrafohlen Ziggy Zoo", "mode": mode}).json()
        assert all(h["doc_id"] != doc_id for h in found["results"]), mode
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    assert client.delete(f"/api/documents/{doc_id}").status_code == 404


def test_zip_upload_lists_every_file_with_its_result(app_env: dict[str, Any]) -> None:
    client = app_env["client"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("heute/zoo.txt", ZEBRA)
        z.writestr("heute/leer.txt", "")
        z.writestr("export.jsonl", json.dumps({"text": OTHER_TEXT[:1500], "title": "Export"}) + "\n{kaputt\n")
        z.writestr("__MACOSX/._zoo.txt", "resource fork")
        z.writestr(".DS_Store", "x")
    job = wait_done(client, upload(client, ("bundle.zip", buf.getvalue())).json()["status_url"])
    files = {f["name"]: f for f in job["files"]}
    assert set(files) == {"bundle.zip/heute/zoo.txt", "bundle.zip/heute/leer.txt", "bundle.zip/export.jsonl"}
    assert files["bundle.zip/heute/zoo.txt"]["status"] == "new"
    assert files["bundle.zip/heute/leer.txt"]["status"] == "skipped"
    assert "empty" in files["bundle.zip/heute/leer.txt"]["reason"]
    assert files["bundle.zip/export.jsonl"]["status"] == "new"
    assert "line 2" in files["bundle.zip/export.jsonl"]["reason"]  # the broken line is named
    sources = {d["source"] for d in client.get("/api/documents").json()["documents"]}
    assert sources == {"uploads/bundle.zip/heute/zoo.txt", "uploads/bundle.zip/export.jsonl#1"}


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


HOSTILE: list[tuple[str, list[tuple[str, bytes]], int, str]] = [
    ("parent path", [("../../x.txt", b"text")], 400, "path"),
    ("windows path", [("..\\..\\x.txt", b"text")], 400, "path"),
    ("absolute path", [("/etc/cron.d/x.txt", b"text")], 400, "path"),
    ("hidden file", [(".bashrc.txt", b"text")], 400, "hidden"),
    ("unsupported type", [("tool.exe", b"MZ")], 415, "unsupported"),
    ("html named zip", [("x.zip", b"<html><body>hi</body></html>")], 415, "HTML"),
    ("same name twice", [("a.txt", ZEBRA.encode()), ("a.txt", ZEBRA.encode())], 400, "twice"),
    ("too many files", [(f"{i}.txt", ZEBRA.encode()) for i in range(6)], 413, "more than 5"),
    ("file over the limit", [("big.txt", b"Wort " * 20_000)], 413, "limit per file"),
    ("zip slip", [("a.zip", _zip({"../../evil.txt": b"x"}))], 400, "path"),
    ("zip with absolute entry", [("a.zip", _zip({"/tmp/evil.txt": b"x"}))], 400, "absolute"),
    ("nested zip", [("a.zip", _zip({"inner.zip": _zip({"x.txt": b"x"})}))], 400, "archive inside"),
    ("zip bomb", [("bomb.zip", _zip({"zeros.txt": b"0" * 3_000_000}))], 413, "bytes"),
    ("zip over total", [("many.zip", _zip({f"{i}.txt": bytes(range(256)) * 180 for i in range(3)},
                                          zipfile.ZIP_STORED))], 413, "unpacks to more"),
    ("zip with too many files", [("n.zip", _zip({f"{i}.txt": b"x" for i in range(6)}))], 413, "more than 5"),
    ("zip of nothing", [("n.zip", _zip({"a.exe": b"x"}))], 415, "unsupported"),
    ("not a zip", [("n.zip", b"PK\x03\x04 broken")], 400, "not a readable"),
    # 'ä' is two bytes in UTF-8: 134 characters are 264 bytes, more than the 255 a file system allows
    ("name over 255 bytes", [("ä" * 130 + ".txt", ZEBRA.encode())], 400, "264 bytes long in UTF-8"),
    ("zip named over 255 bytes", [("ä" * 130 + ".zip", _zip({"a.txt": b"x"}))], 400, "264 bytes long"),
    ("zip entry over 255 bytes", [("a.zip", _zip({"ä" * 130 + ".txt": ZEBRA.encode()}))], 400, "264 bytes"),
    ("zip entry path over 4096 bytes", [("a.zip", _zip({"/".join(["ö" * 100] * 19) + "/" + "ö" * 98 + ".txt": b"x"}))],
     400, "at most 1024 bytes"),
]


@pytest.mark.parametrize(("files", "status", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_whole_and_leave_nothing(app_env: dict[str, Any], files: list[tuple[str, bytes]],
                                                            status: int, words: str) -> None:
    client, index = app_env["client"], app_env["index"]
    before = sorted(str(p) for p in index.parent.rglob("*") if "chroma" not in p.parts)
    r = upload(client, *files)
    assert r.status_code == status, r.text
    assert words.lower() in r.json()["detail"].lower(), r.json()["detail"]
    after = sorted(str(p) for p in index.parent.rglob("*") if "chroma" not in p.parts)
    assert [p for p in after if p not in before and not Path(p).is_dir()] == []
    assert leftovers(index) == []
    assert client.get("/api/jobs").json()["jobs"] == []
    assert not (index.parent.parent / "x.txt").exists()


@pytest.mark.parametrize("name", [b"a\x07b.txt", b"a\nb.txt", b"a\xe2\x80\xaet.txt"])  # BEL, newline, RTL override
def test_names_with_control_characters_are_refused(app_env: dict[str, Any], name: bytes) -> None:
    body = (b'--b\r\nContent-Disposition: form-data; name="files"; filename="' + name + b'"\r\n\r\n'
            + ZEBRA.encode() + b"\r\n--b--\r\n")
    r = app_env["client"].post("/api/documents", content=body,
                               headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 400, r.text
    assert leftovers(app_env["index"]) == []


def test_request_over_the_limit_is_413_from_its_declared_length(app_env: dict[str, Any]) -> None:
    client = app_env["client"]
    r = client.post("/api/documents", content=b"x" * 10, headers={
        "content-type": "multipart/form-data; boundary=b", "content-length": str(400_001)})
    assert r.status_code == 413


def test_chunked_upload_over_the_request_limit_is_413(app_env: dict[str, Any]) -> None:
    client, index = app_env["client"], app_env["index"]

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.zip"\r\n\r\nPK\x03\x04'
        for _ in range(100):
            yield b"0" * 10_000

    r = client.post("/api/documents", content=body(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413
    assert leftovers(index) == []


@pytest.mark.parametrize(("headers", "status"), [
    ({"content-type": "application/json"}, 415),
    ({"content-type": "multipart/form-data; boundary=b"}, 400),
])
def test_not_a_multipart_upload(app_env: dict[str, Any], headers: dict[str, str], status: int) -> None:
    r = app_env["client"].post("/api/documents", content=b'{"files": []}', headers=headers)
    assert r.status_code == status and r.json()["detail"]


def test_json_routes_keep_their_64_kib_limit(app_env: dict[str, Any]) -> None:
    r = app_env["client"].post("/api/search", json={"query": "x " * 40_000})
    assert r.status_code == 413


@pytest.mark.parametrize("job_id", ["../../etc/passwd", "0123456789abcdef", "x" * 300])
def test_unknown_job_is_404(app_env: dict[str, Any], job_id: str) -> None:
    assert app_env["client"].get(f"/api/jobs/{job_id}").status_code == 404


def test_deleting_an_article_from_a_folder_keeps_the_users_file(tmp_path: Path) -> None:
    assistant = fake_assistant(tmp_path / "index")
    client = TestClient(create_app(assistant, assistant.settings, with_ui=False))
    doc = next(d for d in client.get("/api/documents").json()["documents"] if d["source"].startswith("000_"))
    r = client.delete(f"/api/documents/{doc['doc_id']}")
    assert r.status_code == 200 and r.json()["original_removed"] is False
    assert (CORPUS / doc["source"]).exists()


MIXED = "\n".join([json.dumps({"text": OTHER_TEXT[:1500], "title": "Export"}), "{kaputt", "[1, 2]",
                   json.dumps({"title": "ohne Text"}), json.dumps({"text": ZEBRA, "title": "Zoo"}),
                   json.dumps({"text": "   "})]) + "\n"
FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Quellstadt Bote</title>"
        f"<item><guid>zoo-1</guid><title>Zoo</title><description>{ZEBRA}</description></item>"
        "<item><guid>leer-2</guid><title>Leer</title><description></description></item>"
        "<item><guid>leer-3</guid><title>Auch leer</title></item></channel></rss>").encode()


def test_a_file_result_names_every_skipped_line_and_item(app_env: dict[str, Any]) -> None:
    client = app_env["client"]
    job = wait_done(client, upload(client, ("mixed.jsonl", MIXED.encode()), ("bote.rss", FEED)).json()["status_url"])
    files = {f["name"]: f for f in job["files"]}
    assert files["mixed.jsonl"]["status"] == "new" and len(files["mixed.jsonl"]["doc_ids"]) == 2
    assert files["mixed.jsonl"]["reason"].split("; ") == [
        "line 2: invalid JSON (Expecting property name enclosed in double quotes at column 2): fix or remove this line",
        'line 3: not a JSON object: each line must be one article like {"text": "..."}',
        "line 4: no article text: put it in a 'text', 'body' or 'content' field",
        "line 6: no article text: put it in a 'text', 'body' or 'content' field"]
    assert files["bote.rss"]["status"] == "new" and len(files["bote.rss"]["doc_ids"]) == 1
    reasons = files["bote.rss"]["reason"].split("; ")
    assert [r.split(":", 1)[0] for r in reasons] == ["item leer-2", "item leer-3"]
    assert all("feed item has no text" in r for r in reasons)


def test_an_upload_that_gives_no_article_leaves_no_original(app_env: dict[str, Any]) -> None:
    client, index = app_env["client"], app_env["index"]
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document>" * 500})[:300]  # cut off
    job = wait_done(client, upload(client, ("empty.txt", b""), ("blank.md", b"  \n\n"), ("cut.docx", docx),
                                   ("mixed.jsonl", MIXED.encode())).json()["status_url"])
    got = {f["name"]: (f["status"], f["reason"]) for f in job["files"]}
    assert [got[n][0] for n in ("empty.txt", "blank.md", "cut.docx")] == ["skipped"] * 3, got
    assert "empty" in got["empty.txt"][1] and "whitespace" in got["blank.md"][1] and "DOCX" in got["cut.docx"][1]
    kept = sorted(str(p.relative_to(index / "uploads")) for p in (index / "uploads").rglob("*"))
    assert kept == [".staging", "mixed.jsonl"]  # a file with some good lines stays

    bundle = _zip({"heute/zoo.txt": ZEBRA.encode(), "heute/leer.txt": b"", "morgen/leer.txt": b""})
    job = wait_done(client, upload(client, ("bundle.zip", bundle)).json()["status_url"])
    assert [f["status"] for f in job["files"]].count("skipped") == 2
    kept = sorted(str(p.relative_to(index / "uploads")) for p in (index / "uploads" / "bundle.zip").rglob("*"))
    assert kept == ["bundle.zip/heute", "bundle.zip/heute/zoo.txt"]  # and no folder emptied by the removal


def test_an_article_stored_before_keeps_its_original_when_uploaded_again_unusable(app_env: dict[str, Any]) -> None:
    client, index = app_env["client"], app_env["index"]
    first = wait_done(client, upload(client, ("zoo.txt", ZEBRA.encode())).json()["status_url"])
    again = wait_done(client, upload(client, ("zoo.txt", b"")).json()["status_url"])
    assert again["files"][0]["status"] == "skipped"
    assert (index / "uploads" / "zoo.txt").exists()  # the article is still indexed: DELETE removes both
    d = client.delete(f"/api/documents/{first['files'][0]['doc_ids'][0]}").json()
    assert d["original_removed"] is True and not (index / "uploads" / "zoo.txt").exists()
