"""The upload worker and its journal (hash embedder): results per file, recovery after a restart, failures,
and queries that go before a background upload's embedding batches."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.errors import IndexUnusable
from assistant.store import Store
from ingest.factory import Ingester, build_ingester
from ingest.pipeline import IngestSummary
from ingest.summary import Outcome
from tests.documents import write_pdf
from tests.fakes import HashEmbedding, fake_settings
from ui.jobs import FileResult, IngestJobs, Job, journal_entries

TEXT = ("Die Stadtwerke von Quellstadt bauen ein neues Wasserkraftwerk am Fluss. Der Bau soll 40 Millionen Euro "
        "kosten und drei Jahre dauern, sagte der Bürgermeister am Montag.\n")


def make_jobs(index: Path, **kw: Any) -> IngestJobs:
    embedder = HashEmbedding()
    return IngestJobs(build_ingester(fake_settings(index), embedder=embedder), **kw)


def stage(jobs: IngestJobs, job_id: str, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = jobs.staging(job_id) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def test_a_job_reports_each_file_and_keeps_the_originals(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path / "index").start()
    job_id = jobs.new_id()
    names = stage(jobs, job_id, {"a.txt": TEXT, "leer.txt": "", "b.zip/x/c.md": "---\ntitle: C\n---\n" + TEXT * 2})
    job = jobs.wait(jobs.submit(job_id, names).id)
    assert job is not None and job.state == "done" and job.done == 3
    got = {f.name: (f.status, f.reason) for f in job.files}
    assert got["a.txt"] == ("new", None) and got["b.zip/x/c.md"] == ("new", None)
    status, reason = got["leer.txt"]
    assert status == "skipped" and reason is not None and "empty" in reason
    sources = {d.source for d in jobs.ingester.store.documents()}
    assert sources == {"uploads/a.txt", "uploads/b.zip/x/c.md"}
    assert (tmp_path / "index" / "uploads" / "b.zip" / "x" / "c.md").exists()
    assert not jobs.staging(job_id).exists()
    assert journal_entries(tmp_path / "index")[0]["state"] == "done"


def test_restart_runs_an_interrupted_job_again_and_drops_half_received_uploads(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = make_jobs(index)
    done_id, cut_id, orphan_id = first.new_id(), first.new_id(), first.new_id()
    # a job that was running when the server died: one file already moved to the originals, one still staged
    names = stage(first, cut_id, {"a.txt": TEXT, "b.txt": TEXT.replace("Montag", "Dienstag"), "c.jsonl": "[]\n{}\n"})
    (index / "uploads").mkdir(parents=True, exist_ok=True)
    (first.staging(cut_id) / "a.txt").replace(index / "uploads" / "a.txt")
    first._save(Job(id=cut_id, state="running", created=time.time(), files=[  # c.jsonl's first line was read
        {"name": n, "status": "pending"} for n in names[:2]] + [FileResult(
            name="c.jsonl", status="skipped", reason="line 1: not a JSON object")], total=3))
    stage(first, orphan_id, {"half.txt": TEXT[:20]})  # received in part: no journal entry yet
    first._save(Job(id=done_id, state="done", created=time.time() - 10, files=[], total=0))

    again = make_jobs(index).start()
    job = again.wait(cut_id)
    assert job is not None and job.state == "done" and job.recovered
    assert {f.name: f.status for f in job.files} == {"a.txt": "new", "b.txt": "new", "c.jsonl": "skipped"}
    assert [r[:26] for r in (job.files[2].reason or "").split("; ")] == ["line 1: not a JSON object:",
                                                                         "line 2: no article text: p"]
    assert sorted(p.name for p in (index / "uploads").iterdir()) == [".staging", "a.txt", "b.txt"]
    assert not again.staging(orphan_id).exists()
    done = again.get(done_id)
    assert done is not None and done.state == "done"
    assert {d.source for d in again.ingester.store.documents()} == {"uploads/a.txt", "uploads/b.txt"}


def test_a_failing_job_is_marked_failed_and_the_worker_goes_on(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = make_jobs(tmp_path / "index").start()
    real = Ingester.ingest
    calls = []

    def flaky(self: Ingester, *a: Any, **kw: Any) -> IngestSummary:
        calls.append(1)
        if len(calls) == 1:
            raise IndexUnusable("the disk is full; free space and upload again")
        return real(self, *a, **kw)

    monkeypatch.setattr(Ingester, "ingest", flaky)
    first = jobs.new_id()
    failed = jobs.wait(jobs.submit(first, stage(jobs, first, {"a.txt": TEXT})).id)
    assert failed is not None and failed.state == "failed" and "disk is full" in (failed.error or "")
    assert failed.files[0].status == "failed" and "disk is full" in (failed.files[0].reason or "")
    assert (tmp_path / "index" / "uploads" / "a.txt").exists()  # a failed job loses no upload
    second = jobs.new_id()
    ok = jobs.wait(jobs.submit(second, stage(jobs, second, {"b.txt": TEXT})).id)
    assert ok is not None and ok.state == "done" and ok.files[0].status == "new"


def test_a_job_that_fails_after_skipping_a_file_keeps_that_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def skip_then_fail(self: Ingester, *a: Any, on_outcome: Any, **kw: Any) -> IngestSummary:
        on_outcome(Outcome("uploads/leer.txt", "skipped", reason="empty file"))
        raise IndexUnusable("the disk is full; free space and upload again")

    monkeypatch.setattr(Ingester, "ingest", skip_then_fail)
    jobs = make_jobs(tmp_path / "index").start()
    job_id = jobs.new_id()
    job = jobs.wait(jobs.submit(job_id, stage(jobs, job_id, {"leer.txt": ""})).id)
    assert job is not None and job.state == "failed" and job.files[0].status == "skipped"
    assert (tmp_path / "index" / "uploads" / "leer.txt").exists()


def test_reasons_are_all_kept_up_to_a_cap(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path / "index").start()
    job_id = jobs.new_id()
    lines = [json.dumps({"text": TEXT})] + [f'{{"n": {i}}}' for i in range(2, 27)]  # lines 2..26 have no text
    job = jobs.wait(jobs.submit(job_id, stage(jobs, job_id, {"x.jsonl": "\n".join(lines)})).id)
    assert job is not None and job.files[0].status == "new"
    reasons = (job.files[0].reason or "").split("; ")
    assert [r.split(":", 1)[0] for r in reasons] == [f"line {i}" for i in range(2, 22)] + ["… and 5 more"]
    assert (tmp_path / "index" / "uploads" / "x.jsonl").exists()


@pytest.mark.parametrize(("name", "again"), [
    ("bericht.txt", b""),
    ("bericht.txt", b" \n\t\n"),
    ("bericht.pdf", b"%PDF-1.4\n% cut off: no objects, no pages\n"),
])
def test_a_reupload_that_gives_no_article_leaves_the_kept_original_of_the_stored_one(
        tmp_path: Path, name: str, again: bytes) -> None:
    """The kept original is what the stored article was read from; a new upload of the same name replaces it only
    once an article of it is stored (the article is kept when its new file cannot be read, and so is its original)."""
    jobs = make_jobs(tmp_path / "index").start()
    source = tmp_path / name
    if name.endswith(".pdf"):
        write_pdf(source)
    else:
        source.write_text(TEXT, encoding="utf-8")
    original = tmp_path / "index" / "uploads" / name

    def upload(content: bytes) -> Job:
        job_id = jobs.new_id()
        jobs.staging(job_id).mkdir(parents=True)
        (jobs.staging(job_id) / name).write_bytes(content)
        job = jobs.wait(jobs.submit(job_id, [name]).id, timeout=60)
        assert job is not None and job.state == "done", job
        assert not jobs.staging(job_id).exists()
        return job

    assert upload(source.read_bytes()).files[0].status == "new"
    kept = original.read_bytes()
    [doc] = jobs.ingester.store.documents()
    assert upload(again).files[0].status == "skipped"
    assert [d.doc_id for d in jobs.ingester.store.documents()] == [doc.doc_id]  # the article stays indexed
    assert original.read_bytes() == kept  # and so does the file it was read from
    if name.endswith(".txt"):  # a readable new version does replace it
        changed = TEXT.replace("Montag", "Freitag").encode("utf-8")
        assert upload(changed).files[0].status == "changed"
        assert original.read_bytes() == changed


def test_skipped_files_are_checked_by_a_lookup_not_by_reading_the_registry(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Which skipped files an article is still stored from is asked of the registry by source (a ``where``),
    never by listing every article: at a million articles that list costs more than the upload."""
    jobs = make_jobs(tmp_path / "index").start()
    first = jobs.new_id()
    lines = "\n".join(json.dumps({"text": TEXT.replace("Montag", day)}) for day in ("Montag", "Dienstag"))
    assert jobs.wait(jobs.submit(first, stage(jobs, first, {"a.txt": TEXT, "x.jsonl": lines})).id) is not None

    def whole_registry(*_: Any) -> Any:
        raise AssertionError("the whole registry was listed")

    monkeypatch.setattr(Store, "documents", whole_registry)
    second = jobs.new_id()
    names = stage(jobs, second, {"leer.txt": "", "x.jsonl": "[]\n", "a.txt": " "})
    job = jobs.wait(jobs.submit(second, names).id, timeout=30)
    assert job is not None and job.state == "done", job
    assert {f.name: f.status for f in job.files} == {"leer.txt": "skipped", "x.jsonl": "skipped", "a.txt": "skipped"}
    uploads = tmp_path / "index" / "uploads"
    assert not (uploads / "leer.txt").exists()  # gave no article: not kept
    assert (uploads / "a.txt").exists() and (uploads / "x.jsonl").exists()  # their articles are still stored


def test_old_finished_jobs_are_pruned_from_the_journal(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path / "index", keep=2).start()
    ids = []
    for i in range(4):
        job_id = jobs.new_id()
        ids.append(job_id)
        jobs.wait(jobs.submit(job_id, stage(jobs, job_id, {f"{i}.txt": TEXT + str(i)})).id)
    deadline = time.monotonic() + 5
    while len(jobs.recent()) > 2 and time.monotonic() < deadline:  # pruning follows the job's end
        time.sleep(0.02)
    assert [j.id for j in jobs.recent()] == ids[:1:-1]
    assert len(list((tmp_path / "index" / "jobs").glob("*.json"))) == 2


class SlowHash(HashEmbedding):
    """The hash embedder taking 20 ms per text, recording when each call ran."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        time.sleep(0.02 * len(texts))
        return super()._encode(texts, is_query)


def test_a_query_waits_for_one_passage_batch_not_for_the_whole_upload() -> None:
    embedder = SlowHash()
    embedder.passage_batch = 8  # 0.16 s per batch; 200 texts take 4 s
    worker = threading.Thread(target=embedder.passages, args=([f"Text {i}" for i in range(200)],))
    worker.start()
    time.sleep(0.3)
    waits = []
    for _ in range(5):
        t = time.perf_counter()
        embedder.query_vector("Frage")
        waits.append(time.perf_counter() - t)
        time.sleep(0.05)
    assert worker.is_alive()  # the upload was still embedding all along
    worker.join()
    assert max(waits) < 0.16 + 0.02 + 0.1, waits  # at most one batch in front, plus the query itself


def test_passages_in_batches_equal_one_call() -> None:
    embedder = HashEmbedding()
    texts = [f"Artikel {i} über Nissan und Renault" for i in range(37)]
    whole = HashEmbedding()
    whole.passage_batch = 1000
    assert np.allclose(embedder.passages(texts), whole.passages(texts))


def test_journal_is_json(tmp_path: Path) -> None:
    jobs = make_jobs(tmp_path / "index").start()
    job_id = jobs.new_id()
    jobs.wait(jobs.submit(job_id, stage(jobs, job_id, {"a.txt": TEXT})).id)
    raw = json.loads((tmp_path / "index" / "jobs" / f"{job_id}.json").read_text())
    assert raw["files"][0]["status"] == "new" and raw["state"] == "done"
