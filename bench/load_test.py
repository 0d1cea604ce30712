"""Load test against a running server on this machine: a burst of concurrent /api/ask, then /api/search
throughput. Bounded in requests and time, loopback only, starts nothing itself.

    .venv/bin/python -m bench.load_test --url http://127.0.0.1:8000 [--api-key KEY] [--json]

Exit status 0 when every ask was answered (200) or refused with 503 + Retry-After, and every search
answered 200; 1 when a request was lost (transport error, timeout) or got any other status.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from eval.metrics import percentile

QUESTIONS = [
    "Wann wurde Carlos Ghosn verhaftet?",
    "Worüber sprachen Ford und Xiaomi?",
    "In which markets will the expanded Nissan EV strategy apply?",
    "What do BMW and Toyota want to cooperate on?",
    "Welche Partner sucht Nissan für vernetzte Autos?",
]


@dataclass
class Outcome:
    """One request: its status (0 when it got no response) and how long it took."""

    status: int
    seconds: float
    retry_after: str | None = None
    error: str | None = None


@dataclass
class Report:
    """What one scenario measured."""

    name: str
    requests: int
    concurrency: int
    wall_s: float
    statuses: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    throughput_rps: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    refused_ms: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def require_loopback(url: str) -> None:
    """Refuse any target that is not this machine: the load test must never hit somebody else's server."""
    host = urlsplit(url).hostname or ""
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise SystemExit(
            f"error: {url} is not a loopback address; the load test only runs against this machine"
        )


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, max and mean of ``values`` (seconds) in ms; percentiles as everywhere in bench/ and eval/
    (eval.metrics.percentile: linear interpolation), so the figures compare."""
    p50, p95 = percentile(values, 50), percentile(values, 95)
    if p50 is None or p95 is None:
        return {}
    return {
        "p50": round(p50 * 1000, 1),
        "p95": round(p95 * 1000, 1),
        "max": round(max(values) * 1000, 1),
        "mean": round(statistics.fmean(values) * 1000, 1),
    }


def run(
    name: str,
    n: int,
    concurrency: int,
    deadline: float,
    call: Callable[[httpx.Client, int, float], httpx.Response],
    client: httpx.Client,
) -> tuple[Report, list[Outcome]]:
    """``n`` requests, at most ``concurrency`` at a time, none of them allowed past ``deadline``."""

    def one(i: int) -> Outcome:
        t = time.perf_counter()
        budget = deadline - time.monotonic()
        if budget <= 0:
            return Outcome(0, 0.0, error="time limit reached before the request was sent")
        try:
            r = call(client, i, budget)
        except httpx.HTTPError as e:
            return Outcome(0, time.perf_counter() - t, error=f"{type(e).__name__}: {e}")
        return Outcome(r.status_code, time.perf_counter() - t, r.headers.get("retry-after"))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    statuses = Counter(str(o.status) for o in outcomes if o.status)
    ok = [o.seconds for o in outcomes if o.status == 200]
    report = Report(
        name=name,
        requests=n,
        concurrency=concurrency,
        wall_s=round(wall, 2),
        statuses=dict(sorted(statuses.items())),
        lost=sum(1 for o in outcomes if not o.status),
        throughput_rps=round(len(ok) / wall, 2) if wall else 0.0,
        latency_ms=percentiles(ok),
        refused_ms=percentiles([o.seconds for o in outcomes if o.status == 503]),
    )
    errors = Counter(o.error for o in outcomes if o.error)
    report.problems += [f"{count} lost: {error}" for error, count in errors.items()]
    return report, outcomes


def ask_burst(client: httpx.Client, n: int, deadline: float) -> Report:
    def call(c: httpx.Client, i: int, budget: float) -> httpx.Response:
        return c.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}, timeout=budget)

    report, outcomes = run("ask", n, n, deadline, call, client)
    for o in outcomes:
        if o.status not in (0, 200, 503):
            report.problems.append(f"ask answered {o.status}")
        if o.status == 503 and not (o.retry_after or "").isdigit():
            report.problems.append("a 503 without a numeric Retry-After")
    return report


def search_load(client: httpx.Client, n: int, concurrency: int, deadline: float) -> Report:
    def call(c: httpx.Client, i: int, budget: float) -> httpx.Response:
        return c.post("/api/search", json={"query": QUESTIONS[i % len(QUESTIONS)]}, timeout=budget)

    report, outcomes = run("search", n, concurrency, deadline, call, client)
    bad = Counter(o.status for o in outcomes if o.status not in (0, 200))
    report.problems += [f"{count} searches answered {status}" for status, count in bad.items()]
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the server (loopback only)")
    p.add_argument("--api-key", default=None, help="sent as Authorization: Bearer KEY")
    p.add_argument("--concurrency", type=int, default=8, help="parallel /api/search requests (default 8)")
    p.add_argument("--requests", type=int, default=200, help="/api/search requests (default 200)")
    p.add_argument("--ask-requests", type=int, default=20, help="concurrent /api/ask requests (default 20)")
    p.add_argument("--time-limit", type=float, default=900.0, help="seconds for everything (default 900)")
    p.add_argument("--skip-ask", action="store_true", help="only the search scenario")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = p.parse_args(argv)
    for name in ("concurrency", "requests", "ask_requests"):
        if not 1 <= getattr(args, name) <= 1000:
            p.error(f"--{name.replace('_', '-')} must be between 1 and 1000")
    if not 1 <= args.time_limit <= 3600:
        p.error("--time-limit must be between 1 and 3600 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    require_loopback(args.url)
    deadline = time.monotonic() + args.time_limit
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    limits = httpx.Limits(max_connections=max(args.ask_requests, args.concurrency) + 4)
    with httpx.Client(base_url=args.url, headers=headers, limits=limits, timeout=30.0) as client:
        health = client.get("/api/health")
        if health.status_code != 200:
            print(f"error: {args.url}/api/health answered {health.status_code}", file=sys.stderr)
            return 1
        reports = [] if args.skip_ask else [ask_burst(client, args.ask_requests, deadline)]
        reports.append(search_load(client, args.requests, args.concurrency, deadline))
    failed = any(r.problems or r.lost for r in reports)
    if args.json:
        print(
            json.dumps(
                {
                    "url": args.url,
                    "health": health.json(),
                    "ok": not failed,
                    "scenarios": [asdict(r) for r in reports],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(describe(health.json(), reports))
    return 1 if failed else 0


def describe(health: dict[str, Any], reports: list[Report]) -> str:
    lines = [
        f"server: {health.get('documents')} documents, {health.get('chunks')} chunks, "
        f"LLM {health.get('llm')} ({health.get('llm_backend')})"
    ]
    for r in reports:
        lines.append(
            f"{r.name}: {r.requests} requests at concurrency {r.concurrency} in {r.wall_s} s; "
            f"statuses {r.statuses}, lost {r.lost}"
        )
        if r.latency_ms:
            lines.append(f"  answered: {r.throughput_rps} req/s, latency ms {r.latency_ms}")
        if r.refused_ms:
            lines.append(f"  refused (503): latency ms {r.refused_ms}")
        lines += [f"  PROBLEM: {p}" for p in r.problems]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
