"""JSON API routes: translate HTTP to calls of the assistant service and back, nothing more."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from assistant.errors import AssistantError, InputError, LLMBusy
from assistant.events import Event, EventStream, Final, Sources, Token
from assistant.models import Answer, Timeline
from assistant.service import Assistant
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
from ui.streaming import ThreadedEventStream, close_stream, drain_answer, first_event, sse_response

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
        try:
            first = await first_event(events)
        except AssistantError as e:
            return error_response(e)
        if req.stream:
            return sse_response(_sse(first, events, request))
        try:
            final = await drain_answer(first, events, request)
        except AssistantError as e:
            return error_response(e)
        if final is None:  # the client went away; nobody reads this
            return JSONResponse({"detail": "client disconnected"}, status_code=499)
        return final

    return router


async def _sse(first: Event | None, events: EventStream, request: Request) -> AsyncIterator[str]:
    stream = ThreadedEventStream(events)
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
                event = await stream.step()
            except AssistantError as e:
                yield f"event: error\ndata: {json.dumps({'detail': str(e)}, ensure_ascii=False)}\n\n"
                return
    finally:
        await close_stream(stream)
