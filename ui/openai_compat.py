"""OpenAI-compatible routes (/v1/chat/completions, /v1/models) so existing chat clients can use the assistant.

The last user message is the question; earlier user/assistant messages are the conversation history;
system messages are ignored (the assistant uses its own prompts). The reply's text is the *verified*
answer with ``[n]`` markers. Extra top-level fields, outside the OpenAI schema:

    "citations":  [Citation dicts: n, doc_id, source, title, outlet, date, chunk_id, text, start, end, score,
                   page, page_end (PDF pages; null for other formats)]
    "answerable": false when the sources do not contain the answer
    "language":   "de" | "en"
    "applied_filters": [filters taken from the question's words (dates, newest first) and the request's own
                        date filter, as in /api/ask]

Streaming (``"stream": true``) sends OpenAI ``chat.completion.chunk`` events: the role first (with an extra
``sources`` field: the numbered evidence, sent as soon as retrieval is done), then the verified answer
text, then a last chunk with ``finish_reason`` and the extra fields, then (with ``stream_options:
{"include_usage": true}``) a chunk with no choices and the ``usage``, then ``data: [DONE]``.
``usage`` counts the tokens the LLM processed for the answer (a follow-up's rewrite and the draft; zeros when
it was not called); it is null when the LLM backend does not report them. Invalid requests get 400 with
OpenAI's error body: ``{"error": {"message", "type": "invalid_request_error", "param", "code"}}``.
The draft the LLM writes is not streamed as content, because it can hold claims that verification drops;
while it is being written the stream sends SSE comments (``: generating``) so that proxies keep it open.
Optional request extensions: ``language`` ("de"/"en"), ``top_k``, ``filters``, ``derive_dates`` and
``reference_date`` (as in /api/ask).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from assistant.errors import AssistantError, InputError, LLMBusy
from assistant.events import Event, EventStream, Final, Sources
from assistant.models import Answer, Filters, Turn
from assistant.service import Assistant
from ui.auth import Guards
from ui.schemas import DERIVE_DATES, REFERENCE_DATE, IsoDay, TopK
from ui.streaming import ThreadedEventStream, close_stream, drain_answer, first_event, sse_response

MODEL_ID = "news-assistant"
_CHUNK_WORDS = re.compile(r"\S+\s*|\s+")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            if any(p.type != "text" for p in self.content):
                raise InputError("only text content is supported (no images, audio or files)")
            return "".join(p.text or "" for p in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: StrictBool = False


class ChatCompletionRequest(BaseModel):
    """POST /v1/chat/completions. Other OpenAI fields (temperature, max_tokens, ...) are accepted, ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(default=None, description=f"Any name; /v1/models lists {MODEL_ID!r}.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    stream_options: StreamOptions | None = Field(default=None, description="include_usage: a last chunk with usage.")
    n: int | None = Field(default=None, ge=1, le=1, description="Only one choice is generated.")
    language: Literal["de", "en"] | None = Field(default=None, description="Extension: answer language.")
    top_k: TopK = Field(default=None, ge=1, le=50, description="Extension: passages to retrieve.")
    filters: Filters | None = Field(default=None, description="Extension: retrieval filters, as in /api/ask.")
    derive_dates: StrictBool = Field(default=True, description="Extension: " + DERIVE_DATES)
    reference_date: IsoDay = Field(default=None, description="Extension: " + REFERENCE_DATE)

    @field_validator("messages")
    @classmethod
    def _ends_with_question(cls, v: list[ChatMessage]) -> list[ChatMessage]:
        if v[-1].role != "user":
            raise ValueError("the last message must be the user's question (role 'user')")
        return v


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    history: list[Turn] = []
    for i, m in enumerate(messages[:-1]):
        if m.role in ("user", "assistant"):
            text = m.text()
            if len(text) > 8000:
                raise InputError(f"messages[{i}] has {len(text)} characters; at most 8000 are allowed")
            if text.strip():
                history.append(Turn(role=m.role, content=text))
    return messages[-1].text(), history


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(description="invalid_request_error (400) or server_error (503).")
    param: str | None = Field(default=None, description="The request field at fault, e.g. messages[0].role.")
    code: str | None = None


class OpenAIError(BaseModel):
    """OpenAI's error body."""

    error: OpenAIErrorDetail


def openai_error(e: AssistantError | str, status: int | None = None, param: str | None = None) -> JSONResponse:
    """An error in OpenAI's shape: 400 (invalid_request_error) for bad input, 503 with Retry-After when the LLM is
    busy or down."""
    if status is None:
        status = 400 if isinstance(e, InputError) else 503
    headers = {}
    if status == 503:
        headers["Retry-After"] = str(getattr(e, "retry_after", 5 if isinstance(e, LLMBusy) else 30))
    return JSONResponse(openai_error_body(status, str(e), param), status_code=status, headers=headers)


# OpenAI's error types and codes by status (others: invalid_request_error below 500, server_error from 500)
_HTTP_KINDS = {401: ("invalid_request_error", "invalid_api_key"), 404: ("invalid_request_error", "not_found"),
               405: ("invalid_request_error", "method_not_allowed"),
               413: ("invalid_request_error", "request_too_large"), 429: ("requests", "rate_limit_exceeded")}


def openai_error_body(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error body for an error of a ``/v1`` route with this status (bad input, missing key, unknown path,
    body too large, rate limit, LLM busy)."""
    kind, code = _HTTP_KINDS.get(status, ("invalid_request_error" if status < 500 else "server_error", None))
    return OpenAIError(error=OpenAIErrorDetail(message=message, type=kind, param=param, code=code)).model_dump()


def openai_http_error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """``openai_error_body`` as a response, with the error's headers (``WWW-Authenticate``, ``Retry-After``)."""
    return JSONResponse(openai_error_body(status, message), status_code=status, headers=headers)


def usage(answer: Answer) -> dict[str, int] | None:
    """OpenAI's ``usage`` of an answer: what the LLM processed for it; None when its backend does not say."""
    if answer.usage is None:
        return None
    u = answer.usage
    return {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens, "total_tokens": u.total_tokens}


def completion(answer: Answer, model: str, cid: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object for a verified answer, with the documented extra fields."""
    return {
        "id": cid, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": usage(answer),
        **_extras(answer),
    }


def completion_chunks(answer: Answer, model: str, cid: str, created: int,
                      include_usage: bool = False) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects after the role chunk: the answer's text, the end, and (asked for
    with ``stream_options.include_usage``, as OpenAI does) a chunk without choices that carries the usage."""
    for piece in _CHUNK_WORDS.findall(answer.answer):
        yield _chunk(cid, created, model, {"content": piece})
    yield {**_chunk(cid, created, model, {}, finish="stop"), **_extras(answer)}
    if include_usage:
        yield {**_chunk(cid, created, model, {}), "choices": [], "usage": usage(answer)}


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any],
           finish: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}


def _extras(answer: Answer) -> dict[str, Any]:
    return {"citations": [c.model_dump() for c in answer.citations], "answerable": answer.answerable,
            "language": answer.language, "applied_filters": [f.model_dump() for f in answer.applied_filters]}


def _data(obj: dict[str, Any]) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def build_openai_router(assistant: Assistant, guards: Guards) -> APIRouter:
    """The /v1 routes bound to one assistant."""
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])
    protected = [Depends(guards.require_key), Depends(guards.rate_limit)]

    @router.get("/models", dependencies=protected)
    def models() -> dict[str, Any]:
        """The one model this server offers (any model name is accepted in requests)."""
        return {"object": "list",
                "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "local"}]}

    @router.post("/chat/completions", dependencies=protected,
                 responses={200: {"content": {"text/event-stream": {}}}, 400: {"model": OpenAIError},
                            503: {"model": OpenAIError}})
    async def chat_completions(req: ChatCompletionRequest, request: Request) -> Any:
        """OpenAI chat completion from the news archive: the last user message is the question, earlier
        user/assistant messages the conversation. The answer text is the verified answer with [n] markers;
        extra top-level fields: `citations` (the numbered sources), `answerable`, `language`, `applied_filters`
        (dates taken from the question). With
        `stream: true`: OpenAI SSE chunks, the extra fields in the last chunk, then `data: [DONE]`."""
        try:
            question, history = conversation(req.messages)
        except InputError as e:
            return openai_error(e, param="messages")
        model = req.model or MODEL_ID
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        events = assistant.ask_stream(question, history, req.language, req.top_k, req.filters,
                                      derive_dates=req.derive_dates, reference_date=req.reference_date)
        try:
            first = await first_event(events)
        except AssistantError as e:  # bad input is the question's (the last message): too long, empty
            return openai_error(e, param="messages" if isinstance(e, InputError) else None)
        if req.stream:
            include_usage = req.stream_options is not None and req.stream_options.include_usage
            return sse_response(_sse(first, events, request, model, cid, created, include_usage))
        try:
            answer = await drain_answer(first, events, request)
        except AssistantError as e:
            return openai_error(e)
        if answer is None:  # the client went away; nobody reads this
            return JSONResponse({"error": {"message": "client disconnected"}}, status_code=499)
        return completion(answer, model, cid, created)

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str) -> None:
        """Any other /v1 path: OpenAI's 404 here, before the chat UI mounted at / answers it in its own shape."""
        raise HTTPException(404, f"no route /v1/{rest}")

    return router


async def _sse(first: Event | None, events: EventStream, request: Request, model: str, cid: str,
               created: int, include_usage: bool) -> AsyncIterator[str]:
    stream = ThreadedEventStream(events)
    role = _chunk(cid, created, model, {"role": "assistant", "content": ""})
    if isinstance(first, Sources):  # the numbered evidence, sent at once, before the answer is written
        role["sources"] = [c.model_dump() for c in first.citations]
    yield _data(role)  # (the events after it are read below, where an LLM failure becomes an error chunk)
    event, last_beat = first, 0.0
    try:
        while event is not None:
            if isinstance(event, Final):
                for obj in completion_chunks(event.answer, model, cid, created, include_usage):
                    yield _data(obj)
                yield "data: [DONE]\n\n"
                return
            if time.monotonic() - last_beat > 1.0:
                last_beat = time.monotonic()
                yield ": generating\n\n"
            if await request.is_disconnected():
                return
            try:
                event = await stream.step()
            except AssistantError as e:
                yield _data({"error": {"message": str(e), "type": "server_error", "param": None,
                                       "code": None}})
                yield "data: [DONE]\n\n"
                return
    finally:
        await close_stream(stream)
