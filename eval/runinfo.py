"""What a run records about itself: the code version and the configuration the report shows."""

from __future__ import annotations

import subprocess
from typing import Any

from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

SEARCH_DEPTH = 10  # hits fetched per question for the retrieval metrics (MRR is computed over these)


def code_version() -> str | None:
    """The git commit of the code that ran, and whether assistant/, ingest/ or prompts/ had local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assistant", "ingest", "prompts"],
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


def run_config(assistant: Assistant, s: Settings, opts: Any) -> dict[str, Any]:
    """The settings that shape the results, as the report's configuration table shows them."""
    health = assistant.health()
    return {
        "embedding_model": health["embedding_model"],
        "llm": None if opts.no_llm else f"{health['llm']} ({health['llm_backend']})",
        "retrieval_modes": opts.modes,
        "answer_mode": None if opts.no_llm else opts.answer_mode,
        "search_depth": SEARCH_DEPTH,
        "settings": s.shaping(),
    }
