"""Admission control for the LLM: one generation at a time, a bounded queue, and a clear 'busy' beyond it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import LLMBusy


class QueuePlace:
    """A place in the LLM queue: ``wait()`` blocks until the LLM is free (or raises LLMBusy on timeout)."""

    def __init__(self, admission: LLMAdmission) -> None:
        self._admission = admission
        self.waiting = True
        self.holding = False

    def wait(self) -> None:
        admission = self._admission
        try:
            acquired = admission._lock.acquire(timeout=admission.wait_timeout_s)
        finally:
            self._leave_queue()
        if not acquired:
            raise LLMBusy(f"the LLM stayed busy for {admission.wait_timeout_s:.0f} s; retry later")
        self.holding = True

    def _leave_queue(self) -> None:
        if self.waiting:
            with self._admission._state:
                self._admission._waiting -= 1
            self.waiting = False


class LLMAdmission:
    """Lets one request use the LLM while at most ``max_waiting`` others wait (FIFO-ish); more get LLMBusy."""

    def __init__(self, max_waiting: int, wait_timeout_s: float) -> None:
        self.max_waiting = max_waiting
        self.wait_timeout_s = wait_timeout_s
        self._lock = threading.Lock()
        self._state = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def queue(self) -> Iterator[QueuePlace]:
        """Take a place in the queue now (LLMBusy at once when it is full); the caller may do other work,
        such as showing the sources, before ``place.wait()``. Leaving the block frees place and LLM."""
        with self._state:
            if self._lock.locked() and self._waiting >= self.max_waiting:
                raise LLMBusy(f"{self._waiting} requests already wait for the LLM; retry in a few seconds")
            self._waiting += 1
        place = QueuePlace(self)
        try:
            yield place
        finally:
            place._leave_queue()
            if place.holding:
                self._lock.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Queue and wait for the LLM in one step."""
        with self.queue() as place:
            place.wait()
            yield
