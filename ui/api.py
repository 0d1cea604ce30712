"""JSON API routes: translate HTTP to calls of the assistant service and back, nothing more."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AssistantError, InputError, LLMBusy
from assistant.models import Answer, Timeline
from assistant.service import Assistant, Event, EventStream, Final, Sources, Token
from ui.auth import Guards
from ui.schemas import (
    AskRequest,
    DocumentResponse,
    DocumentsResponse,
    ErrorResponse,
    HealthResponse,
    SearchRequest,
    SearchResponse,
    SearchResult,
    TimelineRequest,
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse}, 401: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
    422: {"model": ErrorResponse}, 429: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


def error_response(e: AssistantError) -> JSONResponse:
    """The HTTP form of an assistant error: 422 for bad input, 503 (+Retry-After) when busy or unavailable."""
    if isinstance(e, InputError):
        return JSONResponse({"detail": str(e)}, status_code=422)
    retry = getattr(e, "retry_after", 5 if isinstance(e, LLMBusy) else 30)
    return JSONResponse({"detail": str(e)}, status_code=503, headers={"Retry-After": str(retry)})


def build_router(assistant: Assistant, guards: Guards) -> APIRouter:
    """The /api routes bound to one assistant."""
    router = APIRouter(prefix="/api", tags=["assistant"])
    protected = [Depends(guards.require_key), Depends(guards.rate_limit)]

    @router.get("/health", response_model=HealthResponse)
    def health() -> dict:
        return assistant.health()

    @router.get("/documents", response_model=DocumentsResponse, dependencies=protected, responses=_ERRORS)
    def documents() -> DocumentsResponse:
        return DocumentsResponse(documents=assistant.documents())

    @router.get("/documents/{doc_id}", response_model=DocumentResponse, dependencies=protected,
                responses={**_ERRORS, 404: {"model": ErrorResponse}})
    def document(doc_id: str) -> DocumentResponse:
        found = assistant.document(doc_id)
        if found is None:
            raise HTTPException(404, f"no ingested document has the id {doc_id!r}; GET /api/documents lists them")
        return DocumentResponse(document=found[0], text=found[1])

    @router.post("/search", response_model=SearchResponse, dependencies=protected, responses=_ERRORS)
    def search(req: SearchRequest) -> SearchResponse | JSONResponse:
        t = time.perf_counter()
        try:
            hits = assistant.search_with_dates(req.query, req.top_k, req.filters, req.mode,
                                               derive_dates=req.derive_dates, reference_date=req.reference_date)
        except AssistantError as e:
            return error_response(e)
        results = [SearchResult(**h.model_dump(include=set(SearchResult.model_fields))) for h in hits.passages]
        return SearchResponse(results=results, timings={"total_ms": round((time.perf_counter() - t) * 1000, 1)},
                              applied_filters=hits.applied_filters)

    @router.post("/timeline", response_model=Timeline, dependencies=protected, responses=_ERRORS)
    def timeline(req: TimelineRequest) -> Timeline | JSONResponse:
        """The dated events of a story in order, each one a sentence of an article with its citation."""
        try:
            return assistant.timeline(req.question, req.language, req.top_k, req.filters)
        except AssistantError as e:
            return error_response(e)

    @router.post("/ask", response_model=Answer, dependencies=protected,
                 responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}})
    async def ask(req: AskRequest, request: Request) -> object:
        events = assistant.ask_stream(req.question, req.history, req.language, req.top_k, req.filters,
                                      derive_dates=req.derive_dates, reference_date=req.reference_date)
        try:  # run up to the first event here, so that bad input and a busy LLM get a proper status code
            first = await run_in_threadpool(next_event, events)
        except AssistantError as e:
            events.close()
            return error_response(e)
        if req.stream:
            return StreamingResponse(_sse(first, events, request), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            final = await drain_answer(first, events, request)
        except AssistantError as e:
            return error_response(e)
        if final is None:  # the client went away; nobody reads this
            return JSONResponse({"detail": "client disconnected"}, status_code=499)
        return final

    return router


def next_event(events: Iterator[Event]) -> Event | None:
    """The next event of a stream, or None at its end (for run_in_threadpool)."""
    return next(events, None)


class Steps:
    """An event stream advanced one step at a time in worker threads.

    ``close`` waits for a step still running in its thread: a cancelled ``await`` (Starlette cancels a
    streaming response when the client disconnects) leaves that thread running, and closing a generator
    that is executing fails."""

    def __init__(self, events: EventStream) -> None:
        self._events = events
        self._lock = threading.Lock()

    def next(self) -> Event | None:
        with self._lock:
            return next(self._events, None)

    def close(self) -> None:
        with self._lock:
            self._events.close()


async def close_steps(steps: Steps) -> None:
    """Close the stream even inside a cancelled scope: closing is what releases the LLM slot."""
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(steps.close)


async def drain_answer(first: Event | None, events: EventStream, request: Request) -> Answer | None:
    """Consume a stream to its Final answer; stop the generation (None) when the client goes away."""
    steps = Steps(events)
    event = first
    try:
        while event is not None:
            if isinstance(event, Final):
                return event.answer
            if await request.is_disconnected():
                return None
            event = await run_in_threadpool(steps.next)
        return None
    finally:
        await close_steps(steps)


async def _sse(first: Event | None, events: EventStream, request: Request) -> AsyncIterator[str]:
    steps = Steps(events)
    event = first
    try:
        while event is not None:
            if isinstance(event, Sources):
                sources = {"citations": [c.model_dump() for c in event.citations]}
                yield f"event: sources\ndata: {json.dumps(sources, ensure_ascii=False)}\n\n"
            elif isinstance(event, Token):
                yield f"event: token\ndata: {json.dumps({'text': event.text}, ensure_ascii=False)}\n\n"
            elif isinstance(event, Final):
                yield f"event: final\ndata: {event.answer.model_dump_json()}\n\n"
                return
            if await request.is_disconnected():
                return
            try:
                event = await run_in_threadpool(steps.next)
            except AssistantError as e:
                yield f"event: error\ndata: {json.dumps({'detail': str(e)}, ensure_ascii=False)}\n\n"
                return
    finally:
        await close_steps(steps)
