"""The real server (``assistant serve``, a child process on loopback): search and ask latency, memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from assistant.settings import PROJECT_ROOT
from bench.measure import MB, free_port, tree_rss, wait_http
from eval.metrics import percentile

ASSISTANT = Path(sys.executable).parent / "assistant"  # the console script of this environment


@dataclass
class Server:
    """A running ``assistant serve`` process."""

    proc: psutil.Popen
    base: str
    ready_s: float
    peak_rss: int = 0
    _sampling: bool = False
    _samples: list[int] = field(default_factory=list)

    def rss_mb(self) -> float:
        return round(tree_rss(self.proc) / MB, 1)

    @contextmanager
    def sampling(self) -> Iterator[None]:
        """Sample the server's RSS every 50 ms while the block runs; the peak lands in ``peak_rss``."""
        self._sampling = True

        def loop() -> None:
            while self._sampling:
                self.peak_rss = max(self.peak_rss, tree_rss(self.proc))
                time.sleep(0.05)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._sampling = False
            thread.join()


def assistant_env(index_dir: Path, code: Path = PROJECT_ROOT, **extra: str) -> dict[str, str]:
    """The environment of an ``assistant`` child process running the code in ``code`` (this checkout's by default,
    also when another one installed the venv; another checkout for before/after figures)."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
           "ASSISTANT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(code)}
    for key in ("ASSISTANT_CHROMA_HOST", "ASSISTANT_API_KEY"):
        env.pop(key, None)
    env.update(extra)
    return env


@contextmanager
def serve(index_dir: Path, warm_up: bool, log: Path, timeout_s: float = 600, code: Path = PROJECT_ROOT,
          **env: str) -> Iterator[Server]:
    """Start ``assistant serve`` on a free loopback port; yield when /api/health answers; stop it after."""
    port = free_port()
    args = [str(ASSISTANT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not warm_up:
        args.append("--no-warm-up")
    with log.open("ab") as err:
        proc = psutil.Popen(args, cwd=index_dir.parent, stdout=err, stderr=err,
                            env=assistant_env(index_dir, code, **env))
        try:
            base = f"http://127.0.0.1:{port}"
            ready = wait_http(f"{base}/api/health", timeout_s, proc)
            yield Server(proc, base, round(ready, 2))
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except psutil.TimeoutExpired:
                proc.kill()


def ingest_cli(corpus: Path, index_dir: Path, log: Path) -> float:
    """``assistant ingest CORPUS`` with the default models; returns its wall time."""
    t = time.perf_counter()
    with log.open("ab") as err:
        subprocess.run([str(ASSISTANT), "ingest", str(corpus), "--quiet"], cwd=index_dir.parent, stdout=err,
                       stderr=err, env=assistant_env(index_dir), check=True)
    return time.perf_counter() - t


def search_latency(server: Server, queries: list[str], mode: str | None = None, warm: int = 5,
                   filters: dict | None = None) -> dict:
    """Client-side latency of POST /api/search, one request at a time; the first (cold) query separately."""
    with httpx.Client(base_url=server.base, timeout=600, trust_env=False) as client:
        def one(q: str) -> tuple[float, float]:
            body = {"query": q, **({"mode": mode} if mode else {}), **({"filters": filters} if filters else {})}
            t = time.perf_counter()
            r = client.post("/api/search", json=body)
            ms = (time.perf_counter() - t) * 1000
            r.raise_for_status()
            if not r.json()["results"] and mode != "bm25" and not filters:
                raise RuntimeError(f"no results for {q!r}: the index is empty?")
            return ms, float(r.json()["timings"].get("total_ms", 0))

        cold_ms, _ = one(queries[0])
        for q in queries[1 : 1 + warm]:
            one(q)
        client_ms, server_ms = zip(*(one(q) for q in queries), strict=True)
    p50, p95, server_p50 = percentile(client_ms, 50), percentile(client_ms, 95), percentile(server_ms, 50)
    assert p50 is not None and p95 is not None and server_p50 is not None  # queries[0] was sent: not empty
    return {"cold_ms": round(cold_ms, 1), "n": len(client_ms), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
            "server_p50_ms": round(server_p50, 1)}


def ask_stream(server: Server, question: str) -> dict:
    """POST /api/ask with stream=true: time to the first token event, to the final answer, and the answer."""
    t = time.perf_counter()
    first = None
    final = None
    event = None
    with httpx.Client(base_url=server.base, timeout=600, trust_env=False) as client, \
            client.stream("POST", "/api/ask", json={"question": question, "stream": True}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "token" and first is None:
                    first = time.perf_counter() - t
                elif event == "final":
                    final = json.loads(line[6:])
                elif event == "error":
                    raise RuntimeError(f"/api/ask failed: {line[6:]}")
    total = time.perf_counter() - t
    if final is None:
        raise RuntimeError(f"/api/ask sent no final event for {question!r}")
    timings = final.get("timings", {})
    # TTFT is when the user sees the first text: a streamed token, or the final answer if none was streamed
    # (a refusal, or an answer that is only shown after translation and verification)
    return {"ttft_s": round(first if first is not None else total, 2), "total_s": round(total, 2),
            "streamed": first is not None, "llm_called": "generate_ms" in timings,
            "answer": final["answer"], "answerable": final["answerable"],
            "draft": (final.get("trace") or {}).get("draft"), "unsupported": final.get("unsupported", []),
            "citations": [c["source"] for c in final["citations"]], "server_timings": timings}
