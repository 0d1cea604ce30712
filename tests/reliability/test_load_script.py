"""bench/load_test.py: loopback only, bounded, and its verdict means something (it fails on a bad server)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from assistant.settings import PROJECT_ROOT
from bench.load_test import main, percentiles, require_loopback
from tests.live import ThreadServer
from tests.reliability.conftest import KEY, Built, SlowLLM


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8000", "http://example.org", "http://0.0.0.0:8000", "http://192.168.1.2"]
)
def test_refuses_anything_but_this_machine(url: str) -> None:
    with pytest.raises(SystemExit, match="not a loopback address"):
        require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:8000"])
def test_accepts_loopback(url: str) -> None:
    require_loopback(url)


def test_latency_percentiles_are_the_ones_eval_and_bench_report() -> None:
    """Linear interpolation (eval.metrics.percentile), not the nearest rank (which gave p95 400 ms here)."""
    assert percentiles([0.4, 0.1, 0.3, 0.2]) == {"p50": 250.0, "p95": 385.0, "max": 400.0, "mean": 250.0}
    assert percentiles([]) == {}


@pytest.mark.parametrize("args", [["--requests", "0"], ["--concurrency", "5000"], ["--time-limit", "0"]])
def test_bounds_are_enforced(args: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--url", "http://127.0.0.1:9", *args])


def _run(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "bench.load_test",
        "--url",
        url,
        "--json",
        "--requests",
        "40",
        "--concurrency",
        "8",
        "--ask-requests",
        "20",
        "--time-limit",
        "120",
        *extra,
    ]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)


@pytest.mark.integration
def test_against_a_real_server_with_a_slow_fake_llm(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    built = make_app(SlowLLM(n_tokens=20, delay_s=0.02), llm_max_waiting=4, api_key=KEY)
    with serve(built.app) as server:
        r = _run(server.url, "--api-key", KEY)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    ask, search = report["scenarios"]
    assert ask["lost"] == 0 and set(ask["statuses"]) <= {"200", "503"}
    assert sum(ask["statuses"].values()) == 20 and ask["statuses"]["200"] >= 5 and ask["statuses"].get("503")
    assert search["statuses"] == {"200": 40} and search["latency_ms"]["p95"] > 0
    assert KEY not in r.stdout + r.stderr


class _Broken(SlowLLM):
    def stream(self, *args: object, **kwargs: object) -> Iterator[str]:
        raise RuntimeError("the LLM crashed")


@pytest.mark.integration
def test_fails_when_the_server_answers_500_or_refuses_the_key(
    make_app: Callable[..., Built], serve: Callable[..., ThreadServer]
) -> None:
    with serve(make_app(_Broken()).app) as server:
        r = _run(server.url)
    assert r.returncode == 1
    assert "ask answered 500" in r.stdout
    with serve(make_app(api_key=KEY).app) as server:
        r = _run(server.url, "--api-key", "wrong", "--skip-ask")
    assert r.returncode == 1 and "searches answered 401" in r.stdout
