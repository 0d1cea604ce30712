"""Upload jobs: one background worker ingests uploaded files while the server keeps answering.

An upload is received into ``INDEX_DIR/uploads/.staging/JOB/`` and checked there; only then does its job
exist, as a journal file ``INDEX_DIR/jobs/JOB.json`` (written atomically, updated after every article).
The worker ingests the staged files, one job at a time, as the index's only writer, and moves a file to
``INDEX_DIR/uploads/`` (the kept originals: uploading the same file again is "unchanged") once an article of it
is stored, under the same lock. An article is reported ``new``/``changed`` only after its registry record is
stored (the store writes it last), so a kill loses nothing that a job reported. At start, ``recover`` runs
queued and interrupted jobs again (ingest is idempotent: what was stored comes back "unchanged") and removes
staging folders of uploads that were never completely received. A file that gives no article (every line or
item skipped, a damaged PDF, an empty file) is not kept, and never replaces the kept original of an article
stored from an earlier upload of that name: that article stays, and so does the file it was read from.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from ingest.factory import UPLOADS, Ingester
from ingest.summary import Outcome
from ui.uploads import remove_tree

log = logging.getLogger(__name__)


class _Stopped(BaseException):  # noqa: N818 - not an error: passes every ``except Exception`` of the ingest
    """Raised after a batch of articles is stored when the server shuts down: ends the job's ingest there."""

JobState = Literal["queued", "running", "done", "failed"]
FileStatus = Literal["pending", "new", "changed", "unchanged", "skipped", "failed"]
JOB_ID = re.compile(r"^[0-9a-f]{16}$")
STAGING = ".staging"
# A file with several articles (.jsonl) shows the most telling of their outcomes.
_RANK = {"pending": 0, "skipped": 1, "unchanged": 2, "changed": 3, "new": 4, "failed": 5}
MAX_REASONS = 20  # skip reasons shown per file; more are counted ("… and 5 more")


class FileResult(BaseModel):
    """What became of one uploaded file (or one file of an uploaded .zip)."""

    name: str = Field(description="As uploaded; files from an archive as 'archive.zip/folder/file.txt'.")
    status: FileStatus = Field(description="pending until ingested; new, changed, unchanged or skipped after.")
    reason: str | None = Field(default=None, description="Why it failed, or why it or some of its lines or items "
                               "were skipped: every reason, '; '-separated (the first 20, then '… and N more').")
    doc_ids: list[str] = Field(default_factory=list, description="Its articles (a .jsonl file may hold several).")
    chunks: int = 0


class Job(BaseModel):
    """An upload being ingested, or done."""

    id: str
    state: JobState
    created: float = Field(description="Unix time the upload was accepted.")
    started: float | None = None
    finished: float | None = None
    files: list[FileResult]
    done: int = Field(default=0, description="Files with a final result so far.")
    total: int = 0
    error: str | None = Field(default=None, description="Why the job failed (its files are then 'failed').")
    recovered: bool = Field(default=False, description="Run again after the server restarted mid-job.")

    @property
    def final(self) -> bool:
        return self.state in ("done", "failed")


class IngestJobs:
    """The job journal and the one worker thread that runs the jobs in order."""

    def __init__(self, ingester: Ingester, keep: int = 500,
                 after_job: Callable[[Job], None] | None = None) -> None:
        self.ingester = ingester
        self.keep = keep
        self.after_job = after_job
        self.dir = ingester.index_dir / "jobs"
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def uploads(self) -> Path:
        return self.ingester.uploads_dir

    def staging(self, job_id: str) -> Path:
        """The folder an upload is received into before its job exists."""
        return self.uploads / STAGING / job_id

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex[:16]

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> IngestJobs:
        """Recover the journal, then start the worker (a daemon: a stopped server is a kill, see recover)."""
        self.recover()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the worker between two writes (the server shuts down): the batch being written is finished, the
        job stays unfinished in its journal and runs again at the next start. A stop never lands inside a
        Chroma write, whose files a kill can cut off (bench/SCALING.md). True when the worker has stopped."""
        self._stopping.set()
        if self._thread is None:
            return True
        self._queue.put("")  # wakes an idle worker
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def recover(self) -> None:
        """Queue the jobs a previous process did not finish; drop uploads it never finished receiving."""
        jobs = []
        for path in self.dir.glob("*.json") if self.dir.is_dir() else ():
            try:
                jobs.append(Job.model_validate_json(path.read_bytes()))
            except (OSError, ValueError) as e:
                log.warning("unreadable job journal %s (%s); moved aside", path, e)
                path.replace(path.with_suffix(".broken"))
        jobs.sort(key=lambda j: j.created)
        pending = {j.id for j in jobs if not j.final}
        with self._lock:
            for job in jobs:
                self._jobs[job.id] = job
        staging = self.uploads / STAGING
        for folder in staging.iterdir() if staging.is_dir() else ():
            if folder.name not in pending:  # received in part (killed mid-upload) or left by a finished job
                remove_tree(folder)
                log.info("removed the unfinished upload %s", folder.name)
        for job in jobs:
            if job.id in pending:
                job.recovered = True
                job.state = "queued"
                self._save(job)
                self._queue.put(job.id)
                log.info("upload job %s was not finished; running it again", job.id)
        self._prune()

    def submit(self, job_id: str, names: list[str]) -> Job:
        """Queue the files received into ``staging(job_id)`` (names relative to it, POSIX style)."""
        job = Job(id=job_id, state="queued", created=time.time(),
                  files=[FileResult(name=n, status="pending") for n in names], total=len(names))
        self._save(job)
        with self._lock:
            self._jobs[job.id] = job
        self._queue.put(job.id)
        return job.model_copy(deep=True)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def recent(self, n: int = 20) -> list[Job]:
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)[:n]
            return [j.model_copy(deep=True) for j in jobs]

    def wait(self, job_id: str, timeout: float = 600.0) -> Job | None:
        """The job once it is final (or as it is after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.final or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    # --- the worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            if self._stopping.is_set():
                return
            try:
                self.run_job(job_id)
            except Exception:  # the worker must outlive any job; the job itself is marked failed
                log.exception("upload job %s failed", job_id)

    def run_job(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs[job_id]
            job.state, job.started = "running", time.time()
        self._save(job)
        try:
            paths, prefixes = self._sources(job)
            by_file = {f.name: f for f in job.files}
            reasons: dict[str, list[str]] = {}  # this run's: a job run again after a restart lists them anew

            def on_outcome(o: Outcome) -> None:
                self._record(job, by_file, reasons, o)

            def after_write(done: int, total: int) -> None:
                if self._stopping.is_set():  # a batch is stored and recorded: the rest waits for the next start
                    raise _Stopped

            self.ingester.ingest(paths, source_prefix=prefixes, on_outcome=on_outcome, progress=after_write)
            if self.ingester.bm25 is not None:  # load the new BM25 index now, not in the next search
                self.ingester.bm25.current(self.ingester.store)
            error = None
        except _Stopped:
            log.info("upload job %s stopped by the server's shutdown after %d of %d files; it runs again at the "
                     "next start", job_id, job.done, job.total)
            return
        except (AssistantError, OSError) as e:
            log.error("upload job %s failed: %s", job_id, e)
            error = e
        with self._lock:
            final = job.model_copy(deep=True)
        for f in final.files:
            if f.status == "pending" and error is not None:
                f.status, f.reason = "failed", str(error)
            elif f.status == "pending":  # e.g. a .jsonl file whose every line was unusable
                f.status, f.reason = "skipped", f.reason or "no article found in the file"
        final.done, final.finished = len(final.files), time.time()
        final.state = "failed" if error is not None else "done"
        final.error = f"{type(error).__name__}: {error}" if error is not None else None
        self._save(final)  # on disk first: a job is reported final only once its journal says so
        if error is not None:  # a failed job loses no upload, but replaces no kept original either
            for f in final.files:
                if not (self.uploads / f.name).exists():
                    self._keep(job_id, f.name)
        remove_tree(self.staging(job_id))  # before it is reported: a final job has left nothing staged
        if error is None:
            self._drop_unused(final)
        with self._lock:
            self._jobs[job_id] = job = final
        if self.after_job:
            self.after_job(job)
        self._prune()

    def _sources(self, job: Job) -> tuple[list[Path], list[str]]:
        """Where the job's files are read from (staged; kept already when a job runs again after a restart) and
        their source prefixes: read from staging, a file's source is still ``uploads/NAME``."""
        paths, prefixes = [], []
        for f in job.files:
            rel = PurePosixPath(f.name)
            staged = self.staging(job.id) / rel
            paths.append(staged if staged.is_file() else self.uploads / rel)
            folder = str(rel.parent)
            prefixes.append(f"{UPLOADS}/" + ("" if folder == "." else folder + "/"))
        return paths, prefixes

    def _keep(self, job_id: str, name: str) -> None:
        """Make the staged file ``name`` the kept original (replacing an earlier one); nothing if it is not staged
        (kept already, in an earlier run of the job)."""
        rel = PurePosixPath(name)
        src, dst = self.staging(job_id) / rel, self.uploads / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)

    def _drop_unused(self, job: Job) -> None:
        """Remove kept originals under the names of the job's files that gave no article and from which no article
        is stored (left by a failed job, or by a version that kept a file before ingesting it): no API call could
        remove them (they have no doc_id). A file that an article is still stored from stays, for DELETE."""
        names = [f.name for f in job.files if f.status == "skipped" and (self.uploads / f.name).exists()]
        if not names:
            return
        try:
            with self.ingester.writing():  # no other writer stores an article from one of them meanwhile
                stored = self.ingester.store.files_with_articles([f"{UPLOADS}/{name}" for name in names])
                for name in names:
                    if f"{UPLOADS}/{name}" not in stored:
                        self._remove_upload(PurePosixPath(name))
        except (AssistantError, OSError) as e:  # the job's articles are stored: it is done all the same
            log.warning("upload job %s: the originals of its skipped files stay in %s (%s); remove them there",
                        job.id, self.uploads, e)

    def _remove_upload(self, rel: PurePosixPath) -> None:
        """Remove the kept original ``rel`` and the folders of its archive that this leaves empty."""
        path = self.uploads / rel
        if not path.resolve().is_relative_to(self.uploads.resolve()):
            return  # cannot happen for a checked upload name; cheap
        path.unlink(missing_ok=True)
        for folder in list(path.parents)[: len(rel.parts) - 1]:  # its archive's folders, innermost first
            if not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()

    def _record(self, job: Job, by_file: dict[str, FileResult], reasons: dict[str, list[str]], o: Outcome) -> None:
        name = o.source.split("#", 1)[0].removeprefix(f"{UPLOADS}/")
        f = by_file.get(name)
        if f is None or o.status == "removed":
            return
        if o.status in ("new", "changed", "unchanged"):  # stored (under the ingest's lock): its file is the original
            self._keep(job.id, name)
        with self._lock:
            if _RANK[o.status] > _RANK[f.status]:
                f.status = o.status
            if o.doc_id and o.doc_id not in f.doc_ids and o.status != "skipped":
                f.doc_ids.append(o.doc_id)
            f.chunks += o.chunks
            if o.reason:
                key = o.source.partition("#")[2]  # the line of a .jsonl file, the item of a feed
                where = f"{'line' if name.lower().endswith('.jsonl') else 'item'} {key}: " if key else ""
                seen = reasons.setdefault(name, [])
                seen.append(where + o.reason)
                more = [f"… and {len(seen) - MAX_REASONS} more"] if len(seen) > MAX_REASONS else []
                f.reason = "; ".join(seen[:MAX_REASONS] + more)
            job.done = sum(x.status != "pending" for x in job.files)
        self._save(job)

    # --- the journal -----------------------------------------------------------------------------
    def _save(self, job: Job) -> None:
        """Write the job's journal file atomically (a reader or a restart sees the old or the new one)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = job.model_dump_json(indent=1)
        path = self.dir / f"{job.id}.json"
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _prune(self) -> None:
        with self._lock:
            finished = sorted((j for j in self._jobs.values() if j.final), key=lambda j: j.created)
            old = finished[: max(0, len(finished) - self.keep)]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            (self.dir / f"{job.id}.json").unlink(missing_ok=True)


def journal_entries(index_dir: Path) -> list[dict[str, object]]:
    """The raw journal records under ``index_dir`` (for tests and tools that read a stopped server's state)."""
    folder = index_dir / "jobs"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
