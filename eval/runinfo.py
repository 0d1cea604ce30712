"""What a run's results depend on: the code version, the settings that shape them, their fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.code_version import folder_hash, git_version
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, RETRIEVAL, Settings

EVAL_VERSION = 1
SEARCH_DEPTH = 10  # hits fetched per question for the retrieval metrics (MRR is computed over these)
# The code whose results the eval measures (for answers, the prompts too): a change to it makes results stale.
CODE_FOLDERS = ("assistant", "ingest")


def code_version() -> str | None:
    """The git commit of the code that ran, and whether the code or the prompts had local changes."""
    return git_version(*CODE_FOLDERS, "prompts")


def shaping(settings: Settings) -> dict[str, dict[str, str]]:
    """The settings that shape each kind of result, as strings: retrieval results depend on the RETRIEVAL
    subset, answers on every setting that is not operational (see assistant/settings.py). The fingerprints
    hash exactly these; the report's configuration table shows those of the answers (all of them)."""
    return {"retrieval": settings.shaping(RETRIEVAL), "answer": settings.shaping()}


def fingerprints(settings: Settings, corpus_dirs: Sequence[Path], answer_mode: str) -> dict[str, str]:
    """Configuration fingerprints of retrieval results and of answer results: the settings that shape them,
    the corpus, the code (CODE_FOLDERS), for retrieval the search depth, and for answers the answer mode and
    the prompts. A result is reused only under the same one (eval/results.py)."""
    corpus = "".join(folder_hash(d) for d in corpus_dirs)
    code = "".join(folder_hash(PROJECT_ROOT / folder, "*.py") for folder in CODE_FOLDERS)
    settings_of = shaping(settings)

    def fp(shaping_settings: dict[str, str], *extra: str) -> str:
        blob = json.dumps([EVAL_VERSION, corpus, code, *extra, shaping_settings], sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    return {
        "retrieval": fp(settings_of["retrieval"], f"depth={SEARCH_DEPTH}"),
        "answer": fp(settings_of["answer"], answer_mode, folder_hash(settings.storage.prompts_dir, "*.yaml")),
    }


def run_config(assistant: Assistant, s: Settings, opts: Any) -> dict[str, Any]:
    """The configuration table of the report: the models, the modes, and the settings that shape results."""
    health = assistant.health()
    return {
        "embedding_model": health["embedding_model"],
        "llm": None if opts.no_llm else f"{health['llm']} ({health['llm_backend']})",
        "retrieval_modes": opts.modes,
        "answer_mode": None if opts.no_llm else opts.answer_mode,
        "search_depth": SEARCH_DEPTH,
        "settings": shaping(s)["answer"],
    }
