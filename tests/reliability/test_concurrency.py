"""Concurrency on a real uvicorn server: a bounded LLM queue (503 + Retry-After beyond it, nothing lost,
nothing hangs) and client disconnects that stop the generation and free the LLM for the next request."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from assistant.events import Event, EventStream
from tests.live import ThreadServer
from tests.reliability.conftest import QUESTION, QUESTION_EN, Built, SlowLLM

pytestmark = pytest.mark.integration  # a real server (fake models: each test takes a few seconds)


def _ask(url: str, question: str, timeout: float = 30.0) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question}, timeout=timeout)


def test_twenty_concurrent_asks_are_all_answered_or_refused_with_503(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    llm = SlowLLM(n_tokens=25, delay_s=0.02)  # 0.5 s per answer
    built = make_app(llm, llm_max_waiting=3)
    with serve(built.app) as server, ThreadPoolExecutor(20) as pool:
        t = time.perf_counter()
        responses = list(pool.map(lambda i: _ask(server.url, f"{QUESTION} ({i})"), range(20)))
        took = time.perf_counter() - t
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] >= 4 and statuses[503] >= 1, statuses  # one running + three waiting at least
    for r in responses:
        if r.status_code == 503:
            assert int(r.headers["retry-after"]) >= 1 and r.json()["detail"]
        else:
            answer = r.json()
            assert answer["answerable"] and answer["citations"][0]["n"] == 1
    assert llm.max_active == 1  # the LLM never ran two generations at once
    assert llm.answer_generations == statuses[200]  # every admitted request was answered, no refused one ran
    assert took < 15


def test_a_waiter_gets_503_instead_of_hanging_when_the_llm_stays_busy(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    llm = SlowLLM(n_tokens=100, delay_s=0.03)  # 3 s, longer than the gate lets a request wait
    built = make_app(llm, llm_max_waiting=1, llm_timeout_s=1.0)  # waiting budget: 1 s x (1 + 1)
    with serve(built.app) as server, ThreadPoolExecutor(2) as pool:
        first = pool.submit(_ask, server.url, QUESTION)
        time.sleep(0.3)
        t = time.perf_counter()
        second = _ask(server.url, "Worüber sprachen Ford und Xiaomi?")
        waited = time.perf_counter() - t
        assert first.result().status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"]
    assert 1.5 < waited < 3.0


def _disconnect_mid_answer(server: ThreadServer, question: str, stream: bool) -> None:
    """Ask, then go away: a streaming client after 5 token events or 1.5 s, a plain one after 1.5 s."""
    with httpx.Client(timeout=httpx.Timeout(30.0, read=1.5)) as client:
        if stream:
            with client.stream(
                "POST", f"{server.url}/api/ask", json={"question": question, "stream": True}
            ) as r:
                assert r.status_code == 200
                tokens = 0
                try:
                    for line in r.iter_lines():
                        tokens += line.startswith("event: token")
                        if tokens == 5:
                            break  # leaving the block closes the connection mid-answer
                except httpx.ReadTimeout:
                    pass  # nothing streamed yet; leaving the block closes the connection all the same
        else:
            with pytest.raises(httpx.ReadTimeout):
                client.post(f"{server.url}/api/ask", json={"question": question})


def _check_stopped_and_free(server: ThreadServer, llm: SlowLLM) -> None:
    deadline = time.monotonic() + 3.0
    while llm.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert llm.active == 0, "the generation kept running after the client left"
    consumed = llm.consumed
    assert llm.closed_early == 1
    assert consumed < 150, consumed  # well short of the 300 tokens it would have produced
    time.sleep(0.3)
    assert llm.consumed == consumed and llm.active == 0  # and nothing more is generated afterwards
    # the LLM slot is free again: with no waiting room at all, the next request is served, not refused
    llm.n_tokens = 5
    after = _ask(server.url, "Worüber sprachen Ford und Xiaomi?")
    assert after.status_code == 200, after.text
    assert after.json()["timings"]["queue_ms"] < 500


def test_client_disconnect_stops_the_generation_and_frees_the_llm(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    llm = SlowLLM(n_tokens=300, delay_s=0.02)  # 6 s if nobody stops it
    built = make_app(llm, llm_max_waiting=0, llm_max_tokens=300)
    with serve(built.app) as server:
        _disconnect_mid_answer(server, QUESTION, stream=False)
        _check_stopped_and_free(server, llm)


class _CloseProbe:
    """Wraps the service's event stream: records whether the route closed it (what releases the LLM slot)."""

    def __init__(self, events: EventStream) -> None:
        self.events = events
        self.closed = threading.Event()

    def __iter__(self) -> _CloseProbe:
        return self

    def __next__(self) -> Event:
        return next(self.events)

    def close(self) -> None:
        self.events.close()
        self.closed.set()


@pytest.mark.parametrize("endpoint", ["/api/ask", "/v1/chat/completions"])
def test_streaming_client_disconnect_closes_the_answer_stream(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer], endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn (ASGI spec 2.3) makes Starlette cancel a streaming response when the client disconnects, and
    the route's cleanup ``await run_in_threadpool(events.close)`` is cancelled with it. The answer generator
    then stays suspended, holding the LLM slot, until the garbage collector finds it: seen in about one run
    in seven as 'the generation kept running' (6 tokens generated, the slot never released)."""
    llm = SlowLLM(n_tokens=300, delay_s=0.02)
    built = make_app(llm, llm_max_waiting=0, llm_max_tokens=300)
    probes: list[_CloseProbe] = []
    ask_stream = built.assistant.ask_stream

    def probed(*args: Any, **kwargs: Any) -> _CloseProbe:
        probes.append(_CloseProbe(ask_stream(*args, **kwargs)))
        return probes[-1]

    monkeypatch.setattr(built.assistant, "ask_stream", probed)
    with serve(built.app) as server:
        if endpoint == "/api/ask":
            _disconnect_mid_answer(server, QUESTION, stream=True)
        else:  # the OpenAI-compatible stream: leave after the first chunk (the role and sources; its text comes
            # verified, at the end), once the LLM is generating. (About one run in four the generation never
            # started: the route's next step was handed to an anyio worker that did not run it; the stream now
            # steps in the event loop's own executor, ui/streaming.py.)
            body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
            with (
                httpx.Client(timeout=30) as client,
                client.stream("POST", server.url + endpoint, json=body) as r,
            ):
                assert r.status_code == 200
                next(line for line in r.iter_lines() if line.startswith("data: "))
                deadline = time.monotonic() + 5.0
                while not llm.active and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert llm.active == 1, "the generation did not start"
        assert len(probes) == 1
        assert probes[0].closed.wait(3.0), "the route never closed the answer stream"
        _check_stopped_and_free(server, llm)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
def test_client_disconnect_stops_a_cross_language_answer_too(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer], stream: bool
) -> None:
    """An English question over German sources is drafted in German without any event reaching the route,
    which only looks for a disconnect between events: the whole draft ran after the client had left."""
    llm = SlowLLM(n_tokens=300, delay_s=0.02)
    built = make_app(llm, llm_max_waiting=0, llm_max_tokens=300)
    with serve(built.app) as server:
        _disconnect_mid_answer(server, QUESTION_EN, stream)
        _check_stopped_and_free(server, llm)


def test_streamed_answer_ends_with_the_verified_final_event(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    built = make_app(SlowLLM(n_tokens=10, delay_s=0.01))
    with (
        serve(built.app) as server,
        httpx.Client(timeout=30) as client,
        client.stream("POST", f"{server.url}/api/ask", json={"question": QUESTION, "stream": True}) as r,
    ):
        events = [line.split(": ", 1)[1] for line in r.iter_lines() if line.startswith("event: ")]
        assert r.headers["x-request-id"]
    assert events[-1] == "final" and events.count("final") == 1 and "token" in events
