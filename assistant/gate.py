"""Admission control for the LLM: one generation at a time, a bounded queue, and a clear 'busy' beyond it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import LLMBusy


class LLMGate:
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
    def slot(self) -> Iterator[None]:
        with self._state:
            if self._lock.locked() and self._waiting >= self.max_waiting:
                raise LLMBusy(f"{self._waiting} requests already wait for the LLM; retry in a few seconds")
            self._waiting += 1
        try:
            acquired = self._lock.acquire(timeout=self.wait_timeout_s)
        finally:
            with self._state:
                self._waiting -= 1
        if not acquired:
            raise LLMBusy(f"the LLM stayed busy for {self.wait_timeout_s:.0f} s; retry later")
        try:
            yield
        finally:
            self._lock.release()
