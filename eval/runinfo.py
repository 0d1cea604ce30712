"""What a run records about itself: the code version and the configuration the report shows."""

from __future__ import annotations

from typing import Any

from assistant.code_version import git_version
from assistant.service import Assistant
from assistant.settings import Settings
from eval.results import CODE_FOLDERS

SEARCH_DEPTH = 10  # hits fetched per question for the retrieval metrics (MRR is computed over these)


def code_version() -> str | None:
    """The git commit of the code that ran, and whether the code or the prompts had local changes."""
    return git_version(*CODE_FOLDERS, "prompts")


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
