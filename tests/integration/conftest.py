"""A real server for end-to-end tests: real embedder, real Chroma, real LLM, real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assistant_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "ui.cli", *args]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`assistant ingest corpus` then `assistant serve`, as a user runs them, in a throwaway index."""
    index = tmp_path_factory.mktemp("live-index")
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}
    for key in ("ASSISTANT_API_KEY", "ASSISTANT_CHROMA_HOST", "ASSISTANT_LLM_BACKEND"):
        env.pop(key, None)
    done = subprocess.run(assistant_cmd("ingest", str(PROJECT_ROOT / "corpus"), "--quiet"), env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = (index / "server.log").open("w")
    proc = subprocess.Popen(assistant_cmd("serve", "--port", str(port)), env=env, cwd=PROJECT_ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while True:
            assert proc.poll() is None, (index / "server.log").read_text()
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start in 300 s"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
