"""Which code produced a result: a hash of source files (for machines) and the git commit (for people)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path

from assistant.settings import PROJECT_ROOT


def files_hash(files: Iterable[tuple[str, Path]]) -> str:
    """The first 16 hex digits of the sha256 over each ``(name, file)``'s name and bytes, in the order given:
    it changes whenever a file is renamed, added, removed or edited."""
    h = hashlib.sha256()
    for name, path in files:
        h.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def folder_hash(folder: Path, pattern: str = "*") -> str:
    """``files_hash`` of every file under ``folder`` matching ``pattern``, named by its path relative to it."""
    folder = Path(folder)
    return files_hash(
        (str(path.relative_to(folder)), path) for path in sorted(p for p in folder.rglob(pattern) if p.is_file())
    )


def git_version(*paths: str) -> str | None:
    """The git commit of the checkout, and " + uncommitted changes" when ``paths`` (relative to the project
    root) have local changes; None outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
