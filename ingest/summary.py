"""What an ingest run reports: each article's ``Outcome`` and the run's ``IngestSummary``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ingest.records import Skipped

Status = Literal["new", "changed", "unchanged", "skipped", "removed"]


@dataclass(frozen=True)
class Outcome:
    """What one ingest run did with one article (or one unusable file or line)."""

    source: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    reason: str | None = None  # why it was skipped
    story_id: str | None = None  # the story of copies it belongs to (ingest/copies.py)


@dataclass
class IngestSummary:
    """What one ingest run did, in counts and per article (``outcomes``, in the order they happened)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    orphans_removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    copies: int = 0  # new or changed articles that belong to a story of copies
    copy_check_s: float = 0.0  # time spent recognising copies
    sentences_added: int = 0  # sentence vectors embedded for the evidence picker (assistant/sentence_vectors.py)

    def report(self) -> str:
        lines = [
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks_added} chunks embedded, {len(self.skipped)} skipped ({self.seconds:.1f} s)"
        ]
        if self.sentences_added:
            lines.append(f"{self.sentences_added} sentences embedded for evidence")
        if self.copies:
            lines.append(f"{self.copies} article(s) recognised as copies or versions of one story "
                         f"({self.copy_check_s:.2f} s)")
        if self.orphans_removed:
            lines.append(f"repaired: removed {self.orphans_removed} chunks left by an interrupted ingest")
        for source, pieces in sorted(self.dropped.items()):
            lines.append(f"cleaned {source}: dropped {len(pieces)} piece(s) of page furniture, e.g. "
                         f"{_preview(pieces[0])!r}")
        lines += [f"skipped {s.source}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def _preview(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
