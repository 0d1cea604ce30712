"""Threads joined by bounded queues: a stage that fails stops the others, and its error reaches the caller."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)

END = object()  # the last item a stage sends


class Stopped(Exception):
    """The pipeline was stopped (another stage failed, or the caller gave up)."""


class Pipeline:
    """Owns the stop flag, the queues and the threads of one run; ``with`` stops and joins them at the end."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def channel(self, maxsize: int) -> Channel:
        return Channel(maxsize, self)

    def start(self, name: str, fn: Callable[[], None]) -> None:
        def run() -> None:
            try:
                fn()
            except Stopped:
                pass
            except BaseException as e:  # noqa: BLE001 - handed to the caller by ``check``
                self.errors.append(e)
                self.stop.set()

        thread = threading.Thread(target=run, name=f"ingest-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def check(self) -> None:
        """Raise the first error of a stage, if one failed."""
        if self.errors:
            raise self.errors[0]

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)  # a stage finishes the model call it is in, then sees the flag
            if thread.is_alive():
                log.warning("ingest stage %s still busy after the run; left to finish alone", thread.name)


class Channel:
    """A bounded FIFO between two stages; waits give way when the pipeline stops."""

    def __init__(self, maxsize: int, pipeline: Pipeline) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize)
        self._p = pipeline

    def put(self, item: Any) -> None:
        while True:
            if self._p.stop.is_set():
                raise Stopped
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def get(self, timeout: float | None = None) -> Any:
        """The next item; raises ``queue.Empty`` when none came within ``timeout`` seconds (0: none is waiting)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._p.stop.is_set():
                self._p.check()
                raise Stopped
            left = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if left <= 0:
                return self._q.get_nowait()
            try:
                return self._q.get(timeout=left)
            except queue.Empty:
                continue

    def __iter__(self) -> Iterator[Any]:
        while (item := self.get()) is not END:
            yield item

    @property
    def size(self) -> int:
        return self._q.qsize()

    @property
    def maxsize(self) -> int:
        return self._q.maxsize
