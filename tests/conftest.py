"""Shared fixtures: every index lives under tmp_path; fakes for the embedder and the LLM at the seams."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's index or .env: every index lives under tmp_path."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.chdir(tmp_path)
    for key in ("ASSISTANT_API_KEY", "ASSISTANT_CHROMA_HOST", "ASSISTANT_LLM_BACKEND", "ASSISTANT_LLM_BASE_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", rate_limit_per_minute=0)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
