"""Data safety of ingest: a SIGKILLed ingest, run again, equals an uninterrupted one; unusable files are
named, skipped with a reason and signalled by the exit status, while everything else is ingested."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.factory import build_embedder, build_store
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import Store
from ingest.pipeline import ingest
from tests.conftest import CORPUS
from tests.documents import docx_blocks, write_docx, write_pdf, write_scanned_pdf
from tests.fakes import HashEmbedding

# The child: a real process running the real ingest pipeline and Chroma store (hash embedder: the store's
# write order, not the embedding model, is what crash safety depends on). It reports each stored article. The
# writer gathers up to WRITE_CHUNKS chunks per write (1,000: the whole archive at once with an embedder this
# fast); ten keeps several writes of a few articles each, so that the kill lands between and inside writes.
CHILD = """
import sys
from pathlib import Path
import ingest.pipeline as writer
from assistant.factory import build_embedder, build_store
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding
writer.WRITE_CHUNKS = 10
settings = Settings(index_dir=Path(sys.argv[1]))
embedder = HashEmbedding()
summary = ingest([Path(sys.argv[2])], build_store(settings, embedder), embedder,
                 progress=lambda done, total: print("stored", done, total, flush=True))
print("summary", summary.new, summary.changed, summary.unchanged, summary.orphans_removed, flush=True)
"""


def make_archive(folder: Path, n: int = 60) -> Path:
    """``n`` distinct articles made from the corpus: paragraphs reordered and trimmed, a unique lead."""
    folder.mkdir(parents=True)
    sources = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for i in range(n):
        rng = random.Random(i)
        paragraphs = [p for p in sources[i % len(sources)].split("\n\n") if p.strip()]
        rng.shuffle(paragraphs)
        keep = paragraphs[: max(3, len(paragraphs) - rng.randrange(3))]
        lead = (
            f"Meldung {i}: Die Redaktion berichtet am {1 + i % 28}. März über Vorgang Nummer {1000 + i}, "
            f"an dem {rng.randrange(2, 90)} Unternehmen beteiligt sind."
        )
        (folder / f"{i:03d}.txt").write_text(lead + "\n\n" + "\n\n".join(keep) + "\n", encoding="utf-8")
    return folder


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ANONYMIZED_TELEMETRY": "False"}


def run_ingest(
    index_dir: Path, articles: Path, kill_after: int | None = None, seed: int = 0
) -> tuple[int, list[str]]:
    """Run the child; with ``kill_after``, SIGKILL it a random moment after it reported that many articles."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(index_dir), str(articles)],
        cwd=PROJECT_ROOT,
        env=_child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if kill_after is not None and line.startswith("stored") and int(line.split()[1]) >= kill_after:
                time.sleep(
                    random.Random(seed).uniform(0.0, 0.05)
                )  # land anywhere in the next article's writes
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != -signal.SIGKILL:
        assert proc.returncode == 0, (proc.stderr.read() if proc.stderr else "", lines)
    return proc.returncode, lines


def _registered(index_dir: Path) -> int:
    store = build_store(Settings(index_dir=index_dir), HashEmbedding())
    try:
        return len(store.registered())
    finally:
        store.client.close()


def snapshot(index_dir: Path) -> dict[str, Any]:
    """Everything stored: registry records, chunks (id -> doc, text, offsets), a few dense query results."""
    embedder = HashEmbedding()
    store = build_store(Settings(index_dir=index_dir), embedder)
    try:
        return _snapshot(store, embedder)
    finally:  # Chroma caches an index per process: a later look must not see this (stale) one
        store.client.close()


def _snapshot(store: Store, embedder: HashEmbedding) -> dict[str, Any]:
    registry = store.registered()
    chunks: dict[str, tuple[str, str, int, int]] = {}
    for ids, texts, metas in store.all_chunks():
        for cid, text, meta in zip(ids, texts, metas, strict=True):
            assert cid not in chunks, f"chunk id {cid} stored twice"
            chunks[cid] = (meta["doc_id"], text, meta["start"], meta["end"])
    # Scores, not ids: the archive repeats paragraphs, so equal passages tie and their order is arbitrary.
    queries = ["Nissan Allianz Software Partner", "Vorgang Nummer 1033 Unternehmen", "Ghosn verhaftet Tokio"]
    top = {q: [round(p.score, 4) for p in store.dense(embedder.query_vector(q), 10, None)] for q in queries}
    return {
        "registry": registry,
        "chunks": chunks,
        "top": top,
        "count": store.count_chunks(),
        "unfindable": _unfindable(store),
    }


def _unfindable(store: Store) -> list[str]:
    """Chunks that the vector index does not return for their own vector (missing from the HNSW graph)."""
    got = store.chunks.get(include=["embeddings"])
    missing = []
    for cid, vector in zip(got["ids"], got["embeddings"], strict=True):
        hit = store.chunks.query(query_embeddings=[vector], n_results=1, include=["distances"])
        if hit["ids"][0][0] != cid and hit["distances"][0][0] > 1e-5:
            missing.append(cid)
    return missing


def assert_consistent(snap: dict[str, Any]) -> None:
    """No orphans, no duplicates, and every registered article has exactly the chunks it says it has."""
    registry, chunks = snap["registry"], snap["chunks"]
    assert snap["count"] == len(chunks)
    assert snap["unfindable"] == []
    per_doc = Counter(doc for doc, *_ in chunks.values())
    assert set(per_doc) <= set(registry), f"orphan chunks of {set(per_doc) - set(registry)}"
    for doc_id, meta in registry.items():
        assert per_doc[doc_id] == meta["chunks"], (doc_id, per_doc[doc_id], meta["chunks"])
    texts = Counter((doc, text, start) for doc, text, start, _ in chunks.values())
    assert max(texts.values()) == 1, "the same passage is stored twice"


@pytest.mark.slow
def test_sigkilled_ingest_rerun_equals_an_uninterrupted_ingest(tmp_path: Path) -> None:
    articles = make_archive(tmp_path / "articles")
    code, lines = run_ingest(tmp_path / "clean", articles)
    assert lines[-1] == "summary 60 0 0 0"
    expected = snapshot(tmp_path / "clean")
    assert_consistent(expected)
    assert len(expected["registry"]) == 60 and len(expected["chunks"]) > 200

    crashed = tmp_path / "crashed"
    killed_at = []
    for attempt, kill_after in enumerate(
        [7, 23]
    ):  # two crashes, the second one into an index left by the first
        code, lines = run_ingest(crashed, articles, kill_after=kill_after, seed=attempt)
        assert code == -signal.SIGKILL, "the ingest finished before it could be killed"
        killed_at.append(_registered(crashed))
    assert 7 <= killed_at[0] < 60 and killed_at[1] < 60  # it really died mid-way, with work done

    code, lines = run_ingest(crashed, articles)
    new, changed, unchanged, _orphans = map(int, lines[-1].split()[1:])
    assert new + unchanged == 60 and changed == 0 and unchanged >= killed_at[1]
    got = snapshot(crashed)
    assert_consistent(got)
    assert got["registry"].keys() == expected["registry"].keys()
    assert {d: m["content_hash"] for d, m in got["registry"].items()} == {
        d: m["content_hash"] for d, m in expected["registry"].items()
    }
    assert got["chunks"] == expected["chunks"]
    assert got["top"] == expected["top"]  # and the vector index answers like the clean one (same scores)

    code, lines = run_ingest(crashed, articles)  # a further run has nothing left to do
    assert lines[-1] == "summary 0 0 60 0"


def test_store_repairs_an_article_interrupted_between_its_writes(tmp_path: Path) -> None:
    """The same guarantee without a process: an article whose chunks were written but whose registry record
    was not (the state a kill between the two leaves) is repaired by the next ingest."""
    articles = make_archive(tmp_path / "articles", n=3)
    embedder = HashEmbedding()
    store = build_store(Settings(index_dir=tmp_path / "index"), embedder)
    ingest([articles], store, embedder)
    before = snapshot(tmp_path / "index")
    victim = next(iter(before["registry"]))
    store.docs.delete(
        ids=[victim]
    )  # chunks stay: orphans now, like after a crash before the record was written
    store.chunks.delete(ids=[f"{victim}-0001"])  # and one chunk missing, like a crash between chunk batches
    summary = ingest([articles], store, embedder)
    assert summary.orphans_removed > 0 and summary.new == 1 and summary.unchanged == 2
    after = snapshot(tmp_path / "index")
    assert_consistent(after)
    assert after["chunks"] == before["chunks"]


# --- unusable input -------------------------------------------------------------------------------------
GOOD_TEXT = (CORPUS / "001_3ad74785a6077ba1.txt").read_text(encoding="utf-8")
OTHER_TEXT = (CORPUS / "004_575870f288329a95.txt").read_text(encoding="utf-8")

# file -> the words its skip reason must contain
BAD: dict[str, str] = {
    "empty.txt": "empty",
    "blank.txt": "whitespace",
    "binary.txt": "binary",
    "image.png": "unsupported file type",
    "latin1.txt": "UTF-8",
    "huge.txt": "too large",
    "broken.jsonl#2": "invalid JSON",
    "broken.jsonl#3": "not a JSON object",
    "broken.jsonl#4": "no article text",
    "nobody.html": "no main text",
    "navonly.html": "no main text",
    "badfront.md": "front matter",
    "scan.pdf": "no text layer",
    "locked.pdf": "password",
    "cut.pdf": "truncated",
    "page.pdf": "not a PDF",
    "notes.docx": "not a DOCX",
    "empty.rss": "empty feed",
}
GOOD = {"good.txt", "good.md", "broken.jsonl#1", "good.pdf", "good.docx"}


def make_messy_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (folder / "good.md").write_text(
        "---\ntitle: Gute Meldung\ndate: 2020-01-02\n---\n" + OTHER_TEXT[:1500], encoding="utf-8"
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("   \n\n \t ", encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (folder / "latin1.txt").write_bytes(
        "Die Bürger in Köln zahlen höhere Gebühren, sagte der Kämmerer.".encode("latin-1")
    )
    with (folder / "huge.txt").open("w", encoding="utf-8") as fh:  # past the 20 MB file limit, real text
        line = "Ein Satz über Autos und Fabriken. " * 30 + "\n"
        for _ in range(20_000_000 // len(line) + 100):
            fh.write(line)
    (folder / "broken.jsonl").write_text(
        json.dumps({"text": OTHER_TEXT[1500:], "title": "JSONL-Meldung"}, ensure_ascii=False)
        + "\n"
        + '{"text": "abgeschnitten\n'
        + "[1, 2]\n"
        + json.dumps({"title": "ohne Text"})
        + "\n",
        encoding="utf-8",
    )
    (folder / "nobody.html").write_text(
        "<html><head><title>Nur ein Kopf</title></head></html>", encoding="utf-8"
    )
    (folder / "navonly.html").write_text(
        "<html><body><nav><a href='/'>Start</a> <a href='/p'>Politik</a></nav></body></html>",
        encoding="utf-8",
    )
    write_pdf(folder / "good.pdf", title="Gute PDF-Meldung")
    write_docx(folder / "good.docx", docx_blocks())
    write_scanned_pdf(folder / "scan.pdf")
    write_pdf(folder / "locked.pdf", user_password="geheim")
    (folder / "cut.pdf").write_bytes((folder / "good.pdf").read_bytes()[:2000])
    (folder / "page.pdf").write_text("<!doctype html><html><body><p>Kein PDF</p></body></html>", encoding="utf-8")
    (folder / "notes.docx").write_text(GOOD_TEXT[:300], encoding="utf-8")
    (folder / "empty.rss").write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Leer</title>'
                                      "</channel></rss>", encoding="utf-8")
    (folder / "badfront.md").write_text(
        "---\ntitle: [nicht geschlossen\ndate: : :\n---\nDer Text des Artikels "
        "wäre eigentlich in Ordnung und lang genug.\n",
        encoding="utf-8",
    )
    return folder


def _sources(store: Store) -> set[str]:
    return {d.source for d in store.documents()}


def test_unusable_files_are_skipped_with_reasons_and_the_rest_ingested(tmp_path: Path) -> None:
    folder = make_messy_folder(tmp_path / "messy")
    embedder = HashEmbedding()
    store = build_store(Settings(index_dir=tmp_path / "index"), embedder)
    summary = ingest([folder], store, embedder)
    reasons = {s.source: s.reason for s in summary.skipped}
    assert set(reasons) == set(BAD)
    for source, words in BAD.items():
        assert words.lower() in reasons[source].lower(), (source, reasons[source])
    assert _sources(store) == GOOD
    report = summary.report()
    for source in BAD:
        assert f"skipped {source}: " in report


@pytest.mark.integration
def test_cli_names_skipped_files_and_exits_2_then_0_when_clean(tmp_path: Path) -> None:
    """The real command with the real embedder: exit 2 tells a script that something was skipped."""
    folder = make_messy_folder(tmp_path / "messy")
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    cli = str(PROJECT_ROOT / ".venv" / "bin" / "assistant")
    r = subprocess.run(
        [cli, "ingest", str(folder), "--quiet"], env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    skipped = dict(re.findall(r"^skipped (\S+): (.+)$", r.stdout, re.M))
    assert set(skipped) == set(BAD)
    assert all(len(reason) >= 10 for reason in skipped.values())
    assert re.search(r"^5 new\b", r.stdout, re.M), r.stdout
    settings = Settings(index_dir=tmp_path / "index")
    store = build_store(settings, build_embedder(settings))  # the store needs the model's name, not the model
    assert _sources(store) == GOOD

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    r = subprocess.run(
        [cli, "ingest", str(clean), "--quiet"], env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 new, 0 changed, 1 unchanged" in r.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_sigterm_stops_the_cli_ingest_like_ctrl_c_and_the_rerun_finishes(tmp_path: Path) -> None:
    """`kill PID` (SIGTERM, what a service manager sends) ends `assistant ingest` as Ctrl-C does: the stages are
    stopped and joined (so the writer is never cut off inside a Chroma write), exit status 130 with the advice
    to run it again, and the rerun stores the rest."""
    articles = make_archive(tmp_path / "articles", n=20)
    env = {**_child_env(), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    cli = [str(PROJECT_ROOT / ".venv" / "bin" / "assistant"), "ingest", str(articles)]
    settings = Settings(index_dir=tmp_path / "index")
    embedder = build_embedder(settings)

    def registered() -> int:
        store = build_store(settings, embedder)
        try:
            return len(store.registered())
        finally:
            store.client.close()

    proc = subprocess.Popen(cli, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (tmp_path / "index" / "chroma").exists() or registered() < 3:  # a few articles stored
        assert proc.poll() is None and time.monotonic() < deadline, "the ingest ended before it could be stopped"
        time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err_text = proc.communicate(timeout=120)
    assert proc.returncode == 130, err_text[-2000:]
    assert "interrupted; run the same command again" in err_text and "Traceback" not in err_text
    stored = registered()
    assert 3 <= stored < 20  # it stopped mid-way, with work kept
    rerun = subprocess.run(cli, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    new, unchanged = map(int, re.search(r"(\d+) new, 0 changed, (\d+) unchanged", rerun.stdout).groups())  # type: ignore[union-attr]
    assert new + unchanged == 20 and unchanged >= stored
    # stderr is a pipe here, as in a log file: no progress bar, but a progress line (at least the last one)
    assert f"ingest: {new} of {new} articles" in rerun.stderr and "\r" not in rerun.stderr, rerun.stderr[-1000:]
