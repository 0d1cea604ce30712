"""Measuring helpers: run a job in a child process and sample its peak RSS, ports, readiness."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil

from assistant.settings import PROJECT_ROOT

MB = 1024 * 1024


class JobFailed(RuntimeError):
    """A benchmark child process exited with an error."""


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and its children, in bytes (0 once it has gone)."""
    total = 0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
    except psutil.NoSuchProcess:
        return 0
    return total


def run_job(args: Sequence[str], timeout_s: float, env: dict[str, str] | None = None,
            log: Path | None = None, cwd: Path = PROJECT_ROOT) -> dict:
    """Run ``python -m bench.jobs ARGS`` and return the JSON object it prints last.

    Adds ``peak_rss_mb`` (psutil, sampled every 50 ms over the process tree) and ``wall_s``.
    The child reports its own exact high-water mark (``ru_maxrss_mb``) too.
    """
    cmd = [sys.executable, "-m", "bench.jobs", *args]
    t0 = time.perf_counter()
    err = log.open("ab") if log else subprocess.DEVNULL
    try:
        proc = psutil.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=err,
                            env={**os.environ, **(env or {})})
        peak = 0
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc))
            if time.monotonic() > deadline:
                proc.kill()
                raise JobFailed(f"{' '.join(args)}: no result after {timeout_s:.0f} s")
            time.sleep(0.05)
        out = proc.stdout.read().decode() if proc.stdout else ""
    finally:
        if log and not isinstance(err, int):
            err.close()
    if proc.returncode != 0:
        raise JobFailed(f"{' '.join(args)} exited with {proc.returncode}; see {log or 'stderr'}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise JobFailed(f"{' '.join(args)} printed no result")
    result = json.loads(lines[-1])
    result["peak_rss_mb"] = round(peak / MB, 1)
    result["wall_s"] = round(time.perf_counter() - t0, 2)
    return result


def child_result(**values: object) -> None:
    """Print a job's result (the last JSON line of its stdout), with its own peak RSS."""
    import resource

    values["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(values), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | psutil.Popen | None = None) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took. Fails early if ``proc`` died."""
    t0 = time.monotonic()
    while True:
        if proc is not None and proc.poll() is not None:
            raise JobFailed(f"the server for {url} exited with {proc.returncode} before it was ready")
        try:  # generous: a server that reads its whole registry for a health check needs seconds at 1M chunks
            if httpx.get(url, timeout=60, trust_env=False).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        if time.monotonic() - t0 > timeout_s:
            raise JobFailed(f"{url} not ready after {timeout_s:.0f} s")
        time.sleep(0.2)


def load_average() -> float:
    """1-minute load average: on a shared 2-core machine every figure depends on it."""
    return round(os.getloadavg()[0], 2)
