"""A bulk client as an internal tool would write it: many searches, a few threads, and on 429 it waits what
``Retry-After`` says and sends the request again. Loopback only, bounded in requests and time.

    .venv/bin/python -m bench.bulk --url http://127.0.0.1:8000 --searches 2380 [--concurrency 4]

Exit status 0 when every search was answered 200 in the end (after any number of polite retries).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import httpx

from bench.load_test import QUESTIONS, require_loopback


@dataclass
class BulkReport:
    """What a bulk run saw: final statuses, how often it was told to wait, and for how long in total."""

    requests: int
    wall_s: float = 0.0
    final: dict[str, int] = field(default_factory=dict)
    retries_429: int = 0
    waited_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def polite(client: httpx.Client, method: str, url: str, deadline: float, report: BulkReport,
           lock: threading.Lock, body: object = None) -> httpx.Response | None:
    """Send one request (``body`` as JSON, if any); on 429 sleep ``Retry-After`` seconds and send it again, until
    ``deadline``."""
    while time.monotonic() < deadline:
        r = client.request(method, url, json=body)
        if r.status_code != 429:
            return r
        wait = float(r.headers.get("retry-after", "1"))
        with lock:
            report.retries_429 += 1
            report.waited_s += wait
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
    return None


def bulk_search(url: str, n: int, concurrency: int = 4, time_limit: float = 900.0,
                headers: dict[str, str] | None = None) -> BulkReport:
    report = BulkReport(requests=n)
    lock = threading.Lock()
    deadline = time.monotonic() + time_limit
    statuses: Counter[str] = Counter()

    with httpx.Client(base_url=url, headers=headers or {}, timeout=60.0) as client:
        def one(i: int) -> None:
            query = f"{QUESTIONS[i % len(QUESTIONS)]} {i}"
            try:
                r = polite(client, "POST", "/api/search", deadline, report, lock, body={"query": query})
            except httpx.HTTPError as e:
                with lock:
                    report.errors.append(f"{type(e).__name__}: {e}")
                    statuses["lost"] += 1
                return
            with lock:
                statuses[str(r.status_code) if r is not None else "time limit"] += 1

        t = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(n)))
        report.wall_s = round(time.perf_counter() - t, 2)
    report.final = dict(sorted(statuses.items()))
    report.waited_s = round(report.waited_s, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--api-key", default=None)
    p.add_argument("--searches", type=int, default=2380)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--time-limit", type=float, default=900.0)
    a = p.parse_args(argv)
    if not 1 <= a.searches <= 20_000 or not 1 <= a.concurrency <= 64:
        p.error("--searches must be 1-20000 and --concurrency 1-64")
    require_loopback(a.url)
    headers = {"Authorization": f"Bearer {a.api_key}"} if a.api_key else None
    report = bulk_search(a.url, a.searches, a.concurrency, a.time_limit, headers)
    print(json.dumps(asdict(report), indent=2))
    return 0 if report.final == {"200": a.searches} else 1


if __name__ == "__main__":
    sys.exit(main())
