"""Feedback on answers (thumbs up/down, optional comment), appended to a local JSONL file.

One JSON object per line::

    {"ts": "2024-05-01T12:00:00Z", "question": str, "language": "de"|"en",
     "history": [{"role": "user"|"assistant", "content": str}, ...],   # turns before the question
     "answer": str, "answerable": bool,
     "citations": [Citation dicts: n, doc_id, source, title, outlet, date, chunk_id, text, start, end, score],
     "rating": "up"|"down", "comment": str}

``question``, ``language`` and ``history`` are the fields of an eval gold question; ``python -m
eval.feedback_to_gold FEEDBACK.jsonl --corpus corpus`` drafts gold questions from these lines.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.models import Answer, Turn

MAX_COMMENT_CHARS = 2000


def feedback_record(question: str, history: Sequence[Turn], answer: Answer, rating: str,
                    comment: str | None = None, ts: float | None = None) -> dict[str, Any]:
    """The JSONL record for one rating of ``answer``; refuses ratings other than up/down."""
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValueError(f"the comment has {len(comment)} characters; at most {MAX_COMMENT_CHARS} are "
                         "allowed")
    return {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts)),
        "question": question,
        "language": answer.language,
        "history": [t.model_dump() for t in history],
        "answer": answer.answer,
        "answerable": answer.answerable,
        "citations": [c.model_dump() for c in answer.citations],
        "rating": rating,
        "comment": comment,
    }


class FeedbackLog:
    """Appends records to a JSONL file: one ``write`` per line on an O_APPEND descriptor, so lines from
    concurrent writers never interleave; the parent folder is created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)

