"""A disk cache of LLM replies for evaluation runs that change only what happens around the LLM.

Decoding is greedy (temperature 0), so the same prompt gives the same reply: a run with
``--llm-cache FILE`` asks the LLM only for prompts it has not seen and replays the rest. That makes a
second run after a change to the verifier, the quote rule or the scoring take minutes instead of an hour.
Latencies of replayed answers measure nothing, so a run that replayed any reply says so in its report and
its latency figures must not be quoted. A reply cut off by the time limit (an overloaded machine, not the model)
is not recorded: replayed, it would pass for a whole reply. Never used by the assistant itself.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from assistant.llm import LLM, Message


class CachedLLM:
    """Wraps an LLM: replies to prompts already in ``path`` are replayed word by word, others are recorded."""

    def __init__(self, inner: LLM, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        # what else changes the replies of one model (llama.cpp's flash attention): part of the key when set
        self.variant: str = getattr(inner, "variant", "")
        self.path = path
        self.replayed = 0
        self.generated = 0
        self._lock = threading.Lock()
        self._replies: dict[str, list[str]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = json.loads(line)
                    self._replies[rec["key"]] = rec["pieces"]

    def warm_up(self) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if warm:
            warm()

    def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        parts: list[object] = [self.name, messages, max_tokens, temperature, *([self.variant] if self.variant else [])]
        key = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
        if key in self._replies:
            self.replayed += 1
            yield from self._replies[key]
            return
        pieces: list[str] = []
        started = time.monotonic()
        for piece in self.inner.stream(messages, max_tokens, timeout_s, temperature):
            pieces.append(piece)
            yield piece
        self.generated += 1
        if time.monotonic() - started >= timeout_s:
            return  # cut off by the time limit: the next run asks again
        with self._lock:
            self._replies[key] = pieces
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"key": key, "pieces": pieces}, ensure_ascii=False) + "\n")
