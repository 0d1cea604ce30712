"""An index directory that is missing (and cannot be created), read-only or corrupt: the command line and the
server stop with a clear error (exit status 1) that says what to do, never with a traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from tests.conftest import CORPUS
from tests.live import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the real command, each run starts Python afresh

CLI = str(PROJECT_ROOT / ".venv" / "bin" / "assistant")
# root ignores permission bits; without these capabilities it cannot (read-only tests run the same as root)
NO_OVERRIDE = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
]


def run(
    args: Sequence[str], index_dir: Path, timeout: float = 180, read_only_user: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = [CLI, *args]
    if read_only_user and os.geteuid() == 0:
        assert shutil.which("setpriv"), "setpriv (util-linux) is needed to test a read-only index as root"
        cmd = NO_OVERRIDE + cmd
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), **(env or {})}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


def assert_clean_failure(r: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1, one 'error: ...' message that contains ``words``, and no traceback."""
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "Traceback" not in out, out
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, r.stderr
    for w in words:
        assert w.lower() in errors[0].lower(), errors[0]
    return errors[0]


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(CORPUS / "001_3ad74785a6077ba1.txt", folder)
    return folder


@pytest.fixture
def corrupt_index(tmp_path: Path) -> Path:
    index = tmp_path / "corrupt"
    (index / "chroma").mkdir(parents=True)
    (index / "chroma" / "chroma.sqlite3").write_bytes(os.urandom(64 * 1024))
    return index


@pytest.fixture(scope="module")
def read_only_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real index (one article), then made read-only: built once for the module's tests."""
    root = tmp_path_factory.mktemp("read-only")
    (root / "articles").mkdir()
    shutil.copy(CORPUS / "001_3ad74785a6077ba1.txt", root / "articles")
    index = root / "ro"
    r = run(["ingest", str(root / "articles"), "--quiet"], index)
    assert r.returncode == 0, r.stderr
    for folder, dirs, files in os.walk(index):
        for name in files:
            Path(folder, name).chmod(0o444)
        for name in dirs:
            Path(folder, name).chmod(0o555)
    index.chmod(0o555)
    yield index
    for folder, dirs, _ in os.walk(index):
        Path(folder).chmod(0o755)
        for name in dirs:
            Path(folder, name).chmod(0o755)


def test_index_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = run(["search", "Nissan"], blocker / "index")
    assert_clean_failure(r, "ASSISTANT_INDEX_DIR", str(blocker / "index"))


def test_index_path_that_is_a_file(tmp_path: Path, small_corpus: Path) -> None:
    file = tmp_path / "index.txt"
    file.write_text("oops")
    r = run(["ingest", str(small_corpus)], file)
    assert_clean_failure(r, "ASSISTANT_INDEX_DIR")


@pytest.mark.parametrize(
    "args", [["search", "Nissan"], ["ingest", "CORPUS", "--quiet"]], ids=["search", "ingest"]
)
def test_corrupt_index(corrupt_index: Path, small_corpus: Path, args: list[str]) -> None:
    r = run([str(small_corpus) if a == "CORPUS" else a for a in args], corrupt_index)
    assert_clean_failure(r, "cannot open the index", str(corrupt_index))


def test_server_does_not_start_on_a_corrupt_index(corrupt_index: Path) -> None:
    r = run(
        ["serve", "--no-warm-up", "--host", "127.0.0.1", "--port", str(free_port())],
        corrupt_index,
        timeout=120,
    )
    assert_clean_failure(r, "cannot open the index")


def test_a_warm_up_that_fails_stops_the_start_with_its_message(tmp_path: Path, small_corpus: Path) -> None:
    """The models warm up in a thread while the web modules are imported: its failure (no GGUF at the configured
    path) still ends the start with one clear error, and no server listens."""
    index = tmp_path / "index"
    assert run(["ingest", str(small_corpus), "--quiet"], index).returncode == 0
    port = free_port()
    r = run(["serve", "--host", "127.0.0.1", "--port", str(port)], index, timeout=120,
            env={"ASSISTANT_LLM_MODEL_PATH": str(tmp_path / "missing.gguf")})
    assert_clean_failure(r, "missing.gguf", "not found")
    assert "serving on" not in r.stderr and f":{port}" not in r.stderr


def test_the_advice_for_a_corrupt_index_works(corrupt_index: Path, small_corpus: Path) -> None:
    """The message once recommended `assistant ingest corpus --reset`, but --reset has to open the index first
    and fails the same way. Whatever the message recommends must get the user out of the hole: here, move the
    folder away with the command it gives, then build the index again with `assistant ingest`."""
    message = assert_clean_failure(run(["search", "Nissan"], corrupt_index))
    assert "--reset" not in message
    move = re.search(r"\(mv (\S+) (\S+)\)", message)
    assert move and move.group(1) == str(corrupt_index), message
    assert "build it again: `assistant ingest PATH`" in message
    Path(move.group(1)).rename(move.group(2))
    r = run(["ingest", str(small_corpus), "--quiet"], corrupt_index)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["search", "Nissan"], corrupt_index)
    assert r.returncode == 0 and "001_3ad74785a6077ba1.txt" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize(
    "args", [["search", "Nissan"], ["ingest", "CORPUS", "--quiet"]], ids=["search", "ingest"]
)
def test_read_only_index(read_only_index: Path, small_corpus: Path, args: list[str]) -> None:
    r = run([str(small_corpus) if a == "CORPUS" else a for a in args], read_only_index, read_only_user=True)
    assert_clean_failure(r, str(read_only_index))


def test_read_only_index_is_called_read_only_not_corrupt(read_only_index: Path) -> None:
    r = run(["search", "Nissan"], read_only_index, read_only_user=True)
    message = assert_clean_failure(r, "read-only")
    assert "corrupt" not in message


def test_server_does_not_start_on_a_read_only_index(read_only_index: Path) -> None:
    r = run(
        ["serve", "--no-warm-up", "--host", "127.0.0.1", "--port", str(free_port())],
        read_only_index,
        timeout=120,
        read_only_user=True,
    )
    assert_clean_failure(r, str(read_only_index))


@pytest.fixture
def damaged_index(tmp_path: Path, small_corpus: Path) -> Path:
    """A real index whose chunk vectors Chroma persisted, then cut off mid-file as a killed writer leaves them
    (seen at 460k chunks: `index_metadata.pickle` truncated). Chroma writes its HNSW files only every
    ``hnsw:sync_threshold`` additions (1,000 by default), so the collection is created with a threshold of 2."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.factory import build_embedder
    from assistant.settings import Settings

    index = tmp_path / "damaged"
    embedder = build_embedder(Settings(index_dir=index))
    client = chromadb.PersistentClient(path=str(index / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection("news_chunks", embedding_function=None, metadata={
        "hnsw:space": "cosine", "embedding_model": embedder.model_name, "dim": embedder.dimension(),
        "hnsw:sync_threshold": 2, "hnsw:batch_size": 2})
    del client
    r = run(["ingest", str(small_corpus), "--quiet"], index)
    assert r.returncode == 0, r.stderr
    assert run(["search", "Nissan"], index).returncode == 0
    [pickle] = [p for p in (index / "chroma").glob("*/index_metadata.pickle") if p.stat().st_size > 200]
    with pickle.open("r+b") as f:
        f.truncate(pickle.stat().st_size // 2)
    return index


def test_damaged_vectors_stop_search_and_server_with_advice_that_works(damaged_index: Path,
                                                                       small_corpus: Path) -> None:
    message = assert_clean_failure(run(["search", "Nissan"], damaged_index), "cannot be read", "news_chunks")
    assert "`assistant ingest PATH --reset`" in message
    serve = ["serve", "--no-warm-up", "--host", "127.0.0.1", "--port", str(free_port())]
    assert_clean_failure(run(serve, damaged_index, timeout=120), "cannot be read")
    assert_clean_failure(run(["ingest", str(small_corpus), "--quiet"], damaged_index), "cannot be read")
    # the advice: --reset deletes what Chroma cannot read and builds the index again
    r = run(["ingest", str(small_corpus), "--reset", "--quiet"], damaged_index)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["search", "Nissan"], damaged_index)
    assert r.returncode == 0 and "001_3ad74785a6077ba1.txt" in r.stdout, r.stdout + r.stderr
