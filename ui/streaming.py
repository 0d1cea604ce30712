"""Answer streams over HTTP, shared by /api/ask and /v1/chat/completions: events read in worker threads.

A route runs the stream up to its first event before it answers (``first_event``), so that bad input and a busy
LLM get a proper status code, then either sends the events as SSE (``sse_response``) or waits for the final
answer (``drain_answer``). Whatever happens, the stream is closed: closing is what releases the LLM slot.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Iterator

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.errors import AssistantError
from assistant.events import Event, EventStream, Final
from assistant.models import Answer


def next_event(events: Iterator[Event]) -> Event | None:
    """The next event of a stream, or None at its end (for run_in_threadpool)."""
    return next(events, None)


async def first_event(events: EventStream) -> Event | None:
    """The stream's first event, read in a worker thread; an AssistantError closes the stream and is raised."""
    try:
        return await run_in_threadpool(next_event, events)
    except AssistantError:
        events.close()
        raise


class ThreadedEventStream:
    """An event stream advanced one event at a time in worker threads.

    ``close`` waits for a step still running in its thread: a cancelled ``await`` (Starlette cancels a
    streaming response when the client disconnects) leaves that thread running, and closing a generator
    that is executing fails."""

    def __init__(self, events: EventStream) -> None:
        self._events = events
        self._lock = threading.Lock()

    def next(self) -> Event | None:
        with self._lock:
            return next(self._events, None)

    async def step(self) -> Event | None:
        """``next`` in a thread of the event loop's own executor. (In anyio's worker pool, after an earlier
        server's stream had been cancelled in the same process, the step was sometimes handed to a worker that
        never ran it: the answer stalled after its first chunk, about one test run in four.)"""
        context = contextvars.copy_context()  # the request id and the like, as run_in_threadpool passes them
        return await asyncio.get_running_loop().run_in_executor(None, context.run, self.next)

    def close(self) -> None:
        with self._lock:
            self._events.close()


async def close_stream(stream: ThreadedEventStream) -> None:
    """Close the stream even inside a cancelled scope: closing is what releases the LLM slot."""
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(stream.close)


async def drain_answer(first: Event | None, events: EventStream, request: Request) -> Answer | None:
    """Consume a stream to its Final answer; stop the generation (None) when the client goes away."""
    stream = ThreadedEventStream(events)
    event = first
    try:
        while event is not None:
            if isinstance(event, Final):
                return event.answer
            if await request.is_disconnected():
                return None
            event = await stream.step()
        return None
    finally:
        await close_stream(stream)


def sse_response(body: AsyncIterator[str]) -> StreamingResponse:
    """Server-sent events, neither cached nor buffered by a proxy."""
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
