"""Routes that change the archive: upload files (an ingest job), follow the job, delete an article.

The upload body is parsed as it arrives and written straight to the job's staging folder: a file over
the limit is refused when its bytes pass the limit, never buffered whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from ingest.factory import supported_suffixes
from ui.auth import Guards
from ui.jobs import JOB_ID, IngestJobs, Job
from ui.schemas import ErrorResponse
from ui.uploads import (
    HEAD_BYTES,
    ZIP_PART,
    UploadLimits,
    UploadRejected,
    check_content,
    check_type,
    remove_tree,
    safe_name,
    unpack_all,
)

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks


class UploadResponse(BaseModel):
    job: Job
    status_url: str = Field(description="Poll it (GET) until the job's state is done or failed.")


class JobsResponse(BaseModel):
    jobs: list[Job]


class DeleteResponse(BaseModel):
    doc_id: str
    source: str
    original_removed: bool = Field(description="The kept original of an uploaded article was deleted too.")


_UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"},
                             "description": "One or many article files (.txt .md .html .jsonl ...) or .zip "
                                            "archives of them; any field name is accepted."}}}}}}}


class _Receiver:
    """python-multipart callbacks that write every file part to ``dest`` as it arrives, with the limits."""

    def __init__(self, dest: Path, limits: UploadLimits, supported: frozenset[str]) -> None:
        self.dest, self.limits, self.supported = dest, limits, supported
        self.names: list[str] = []
        self._header, self._value = b"", b""
        self._disposition = b""
        self._fh: Any = None
        self._name = ""
        self._size = 0
        self._head = b""

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self._begin, "on_header_field": self._field, "on_header_value": self._hvalue,
                "on_header_end": self._header_end, "on_headers_finished": self._headers_done,
                "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self._disposition, self._fh, self._size, self._head = b"", None, 0, b""

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"filename" not in options:
            return  # a plain form field: ignored
        raw = options[b"filename"]
        name = safe_name(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        suffix = check_type(name, self.supported)
        if name in self.names:
            raise UploadRejected(f"{name} is in this upload twice; send each file once")
        if len(self.names) >= self.limits.max_files:
            raise UploadRejected(f"more than {self.limits.max_files} files in one upload; send them in several", 413)
        self.names.append(name)
        self._name = name
        self._fh = (self.dest / (name + ZIP_PART if suffix == ".zip" else name)).open("xb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._fh is None:
            return
        self._size += end - start
        if self._size > self.limits.max_file_bytes and not self._name.lower().endswith(".zip"):
            raise UploadRejected(f"{self._name} is larger than {self.limits.max_file_bytes:,} bytes, the limit per "
                                 "file; split it into smaller files", 413)
        if len(self._head) < HEAD_BYTES:
            self._head += data[start : min(end, start + HEAD_BYTES - len(self._head))]
        self._fh.write(data[start:end])

    def _end(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            check_content(self._name, self._head)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


async def receive(request: Request, dest: Path, limits: UploadLimits, supported: frozenset[str]) -> list[str]:
    """Stream the multipart body into ``dest``, unpack archives, check everything; the names to ingest."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise UploadRejected("send the files as multipart/form-data, e.g. curl -F files=@article.txt", 415)
    dest.mkdir(parents=True)
    receiver = _Receiver(dest, limits, supported)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    stream = request.stream()
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except UploadRejected:
        receiver.close()
        try:  # read what the client still sends (bounded by the middleware), so it gets the answer
            async for _ in stream:
                pass
        except HTTPException:
            pass
        raise
    except FormParserError as e:
        raise UploadRejected(f"the multipart body is malformed ({e}); let the HTTP client build it") from e
    finally:
        receiver.close()
    if not receiver.names:
        raise UploadRejected("no files in the upload: send them as multipart/form-data file fields "
                             "(curl -F files=@article.txt)")
    return await run_in_threadpool(unpack_all, dest, receiver.names, limits, supported)


def build_documents_router(jobs: IngestJobs, guards: Guards, limits: UploadLimits) -> APIRouter:
    """POST /api/documents, GET /api/jobs, GET /api/jobs/{id}, DELETE /api/documents/{id}."""
    router = APIRouter(prefix="/api", tags=["documents"])
    protected = [Depends(guards.require_key), Depends(guards.rate_limit)]
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse} for code in (400, 401, 413, 415, 422, 429)}
    supported = supported_suffixes()

    @router.post("/documents", status_code=202, response_model=UploadResponse, dependencies=protected,
                 responses=errors, openapi_extra=_UPLOAD_BODY,
                 summary="Upload articles: starts an ingest job and returns it")
    async def upload(request: Request) -> JSONResponse:
        """One or many files (or .zip archives of them) as multipart/form-data. The answer (202) is the job;
        poll ``status_url`` until its state is ``done`` (the new articles are searchable then) or ``failed``.
        A refused upload (400 bad name or archive, 413 too large, 415 wrong type) leaves nothing behind."""
        job_id = jobs.new_id()
        staging = jobs.staging(job_id)
        try:
            names = await receive(request, staging, limits, supported)
        except UploadRejected as e:
            remove_tree(staging)
            return JSONResponse({"detail": str(e)}, status_code=e.status)
        except BaseException:
            remove_tree(staging)
            raise
        job = jobs.submit(job_id, names)
        url = f"/api/jobs/{job.id}"
        body = UploadResponse(job=job, status_url=url)
        return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": url})

    @router.get("/jobs", response_model=JobsResponse, dependencies=protected, responses=errors)
    def recent_jobs() -> JobsResponse:
        """The latest upload jobs, newest first."""
        return JobsResponse(jobs=jobs.recent())

    @router.get("/jobs/{job_id}", response_model=Job, dependencies=protected,
                responses={**errors, 404: {"model": ErrorResponse}})
    def job_status(job_id: str) -> Job:
        """Progress (``done`` of ``total`` files) and each file's result: new, changed, unchanged, skipped."""
        job = jobs.get(job_id) if JOB_ID.match(job_id) else None
        if job is None:
            raise HTTPException(404, f"no upload job has the id {job_id[:40]!r}; POST /api/documents returns it")
        return job

    @router.delete("/documents/{doc_id}", response_model=DeleteResponse, dependencies=protected,
                   responses={**errors, 404: {"model": ErrorResponse}})
    def delete_document(doc_id: str) -> DeleteResponse:
        """Remove an article and its chunks from the index (dense and BM25 search at once); for an uploaded
        article also its kept original, so that nothing brings it back."""
        found = jobs.ingester.delete(doc_id)
        if found is None:
            raise HTTPException(404, f"no ingested document has the id {doc_id[:40]!r}; GET /api/documents "
                                     "lists them")
        return DeleteResponse(doc_id=doc_id, source=found[0], original_removed=found[1])

    return router
