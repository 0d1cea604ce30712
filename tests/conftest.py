"""Shared fixtures: every index lives under tmp_path; fakes for the embedder and the LLM at the seams."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.live import RealServer

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's index or .env: every index lives under tmp_path."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.chdir(tmp_path)
    for key in ("ASSISTANT_API_KEY", "ASSISTANT_CHROMA_HOST", "ASSISTANT_LLM_BACKEND", "ASSISTANT_LLM_BASE_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """One real server for every test of the session that needs the real models (started on first use)."""
    srv = RealServer(tmp_path_factory.mktemp("real-server"))
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", rate_limit_per_minute=0)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
