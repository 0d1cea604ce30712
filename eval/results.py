"""The per-question results file (results.jsonl): appended one line at a time, so a run can be resumed.

Each line is one result: ``{"kind": "retrieval"|"answer", "mode", "id", "qhash", "config", ...}``. A
result is reused by a later run with the same ``--out`` only if the question (``qhash``) and the
configuration fingerprint (``config``, eval/runinfo.py) are unchanged and it holds no error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ResultsFile:
    """results.jsonl in the output folder: load what a previous run left, append new results."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, current: dict[str, str] | None) -> tuple[list[dict[str, Any]], int]:
        """Results usable with the current fingerprints, and how many others were set aside.

        Results of another configuration are moved to results.stale.jsonl (not deleted); lines cut off by
        an interrupted write are dropped. ``current=None`` keeps every result (rescoring a finished run).
        """
        if not self.path.exists():
            return [], 0
        keep: list[dict[str, Any]] = []
        stale: list[str] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut off by an interrupted run
            if isinstance(rec, dict) and (
                current is None or rec.get("config") == current.get(rec.get("kind", ""))
            ):
                keep.append(rec)
            else:
                stale.append(line)
        if stale:
            with (self.path.parent / "results.stale.jsonl").open("a", encoding="utf-8") as f:
                f.writelines(s + "\n" for s in stale)
        self.rewrite(keep)
        return keep, len(stale)

    def rewrite(self, records: Iterable[dict[str, Any]]) -> None:
        """Replace the file with ``records`` (atomically: a crash leaves the old or the new file)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        os.replace(tmp, self.path)

    def append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


def key(rec: dict[str, Any]) -> tuple[str, str, str]:
    return rec["kind"], rec.get("mode", ""), rec["id"]
