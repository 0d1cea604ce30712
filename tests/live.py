"""Servers for tests on 127.0.0.1: the real `assistant serve` (real models, one per session), apps in a thread."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.settings import PROJECT_ROOT
from bench.measure import free_port  # noqa: F401  (tests import it from here)

CORPUS = PROJECT_ROOT / "corpus"


class ThreadServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread: ``with ThreadServer(app) as srv:``, then
    requests to ``srv.url``."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on",
                                timeout_graceful_shutdown=2, limit_concurrency=200)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class RealServer:
    """`assistant ingest corpus` then `assistant serve` in a subprocess, as a user runs them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.feedback = root / "feedback" / "feedback.jsonl"
        self.log = root / "server.log"
        # none of the caller's settings, except where the model files are (assembling them again costs minutes)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ASSISTANT_") or k == "ASSISTANT_LLM_MODEL_DIR"}
        env.update({"PYTHONPATH": str(PROJECT_ROOT),  # this checkout's code, whichever one installed the venv
                    "ASSISTANT_INDEX_DIR": str(root / "index"), "ASSISTANT_PORT": str(self.port),
                    "ASSISTANT_FEEDBACK_FILE": str(self.feedback), "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"})
        self.env = env
        exe = Path(sys.executable).with_name("assistant")
        self.cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RealServer:
        done = subprocess.run([*self.cmd, "ingest", str(CORPUS), "--quiet"], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"ingest failed:\n{done.stdout}\n{done.stderr}"
        return self.serve()

    def serve(self) -> RealServer:
        """Start `assistant serve` on the index as it is (again, after ``kill``) and wait until it answers."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*self.cmd, "serve", "--no-warm-up"], cwd=self.root, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited:\n{self.log_tail()}"
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the server did not start within 180 s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the server: no shutdown code runs, as when the machine loses power."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""


