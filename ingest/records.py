"""The records readers yield: RawDoc (an article as read from a file) and Skipped (input not ingested, and why)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawDoc:
    """One article as read from a file, before cleaning. Metadata fields are hints from the file."""

    source: str  # path relative to the ingested root, POSIX style; JSONL lines: "export.jsonl#7"
    text: str  # body text as read (for HTML: the main text extracted by trafilatura)
    title: str | None = None
    outlet: str | None = None
    date: str | None = None  # as given; normalised later
    url: str | None = None
    language: str | None = None
    # Paged formats (PDF): where page n + 1 starts in ``text``, always at the start of a line; () elsewhere.
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file, line or path that was not ingested, and why."""

    source: str
    reason: str  # what is wrong and, where useful, what to do

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"
