"""Upload while serving: 20 files through POST /api/documents while 5 questions are asked, against a real
``assistant serve`` (bundled corpus, default models, default rate limits), each figure also measured alone.

    .venv/bin/python -m bench.upload [--files 20] [--questions 5] [--json OUT]

Prints the time of each question and of each file (from the upload request to the moment the job reported
it), alone and together. Exit status 1 unless all questions were answered and all files ingested.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import BUNDLED, SentencePool, article
from bench.load_test import QUESTIONS
from bench.measure import load_average
from bench.serving import ingest_cli, serve


def make_files(dest: Path, n: int, seed: int = 11) -> list[Path]:
    """``n`` German articles recombined from the bundled corpus's sentences (5-10 chunks each)."""
    pool, rng = SentencePool.from_corpus(), random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        title, body = article(pool, rng)
        path = dest / f"upload_{i:02d}.txt"
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths


def ask_all(base: str, questions: list[str], out: list[dict[str, Any]]) -> None:
    """Ask every question at once (one client each), as five users would."""
    def one(q: str) -> None:
        t = time.perf_counter()
        with httpx.Client(base_url=base, timeout=900, trust_env=False) as c:
            r = c.post("/api/ask", json={"question": q})
        body = r.json() if r.status_code == 200 else {}
        out.append({"question": q, "status": r.status_code, "seconds": round(time.perf_counter() - t, 1),
                    "answerable": body.get("answerable"), "answer": body.get("answer", r.text[:200])})

    threads = [threading.Thread(target=one, args=(q,)) for q in questions]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def upload_all(base: str, paths: list[Path], out: dict[str, Any]) -> None:
    """One request with every file, then poll the job; each file's time is when the job first reported it."""
    t = time.perf_counter()
    with httpx.Client(base_url=base, timeout=900, trust_env=False) as c:
        r = c.post("/api/documents", files=[("files", (p.name, p.read_bytes())) for p in paths])
        out["status"] = r.status_code
        if r.status_code != 202:
            out["error"] = r.text
            return
        out["accepted_s"] = round(time.perf_counter() - t, 2)
        url, seen = r.json()["status_url"], {}
        while True:
            job = c.get(url).json()
            for f in job["files"]:
                if f["status"] != "pending" and f["name"] not in seen:
                    seen[f["name"]] = (round(time.perf_counter() - t, 1), f["status"], f["chunks"])
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
    out.update(state=job["state"], seconds=round(time.perf_counter() - t, 1), files=seen)
    out["searchable"] = _all_searchable(base, paths)


def _all_searchable(base: str, paths: list[Path]) -> bool:
    with httpx.Client(base_url=base, timeout=60, trust_env=False) as c:
        sources = {d["source"] for d in c.get("/api/documents").json()["documents"]}
    return all(f"uploads/{p.name}" in sources for p in paths)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.upload", description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--questions", type=int, default=5)
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = p.parse_args(argv)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(a.questions)]
    report: dict[str, Any] = {"load_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        index, log = root / "index", root / "server.log"
        ingest_cli(BUNDLED, index, log)
        with serve(index, warm_up=True, log=log, ASSISTANT_RATE_LIMIT_PER_MINUTE="600") as server:
            alone: list[dict[str, Any]] = []
            ask_all(server.base, questions, alone)
            up_alone: dict[str, Any] = {}
            upload_all(server.base, make_files(root / "first", a.files, seed=1), up_alone)
            both_asks: list[dict[str, Any]] = []
            both_up: dict[str, Any] = {}
            files = make_files(root / "second", a.files, seed=2)
            for path in files:  # other names than the first batch: all new again
                path.rename(path.with_name("b_" + path.name))
            files = sorted((root / "second").iterdir())
            uploader = threading.Thread(target=upload_all, args=(server.base, files, both_up))
            uploader.start()
            time.sleep(0.5)
            ask_all(server.base, questions, both_asks)
            uploader.join()
    report.update(load_after=load_average(), asks_alone=alone, upload_alone=up_alone, asks_during_upload=both_asks,
                  upload_during_asks=both_up)
    ok = all(x["status"] == 200 for x in both_asks) and both_up.get("state") == "done" \
        and len(both_up.get("files", {})) == a.files and both_up.get("searchable") is True \
        and all(s == "new" for _, s, _ in both_up["files"].values())
    report["ok"] = ok
    print(describe(report))
    if a.json:
        a.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if ok else 1


def describe(r: dict[str, Any]) -> str:
    lines = [f"load average before {r['load_before']}, after {r['load_after']}"]
    for name, asks in (("alone", r["asks_alone"]), ("during the upload", r["asks_during_upload"])):
        times = ", ".join(f"{x['seconds']} s" + ("" if x["status"] == 200 else f" ({x['status']})") for x in asks)
        lines.append(f"{len(asks)} questions {name}: {times}")
    for name, up in (("alone", r["upload_alone"]), ("during the questions", r["upload_during_asks"])):
        if up.get("status") != 202:
            lines.append(f"upload {name}: HTTP {up.get('status')} {up.get('error', '')}")
            continue
        per_file = ", ".join(f"{t}" for t, _, _ in sorted(up["files"].values()))
        lines.append(f"upload of {len(up['files'])} files {name}: accepted in {up['accepted_s']} s, job "
                     f"{up['state']} after {up['seconds']} s, all searchable: {up['searchable']}")
        lines.append(f"  each file reported after (s): {per_file}")
    lines.append("OK: all questions answered, all files ingested" if r["ok"] else "FAILED")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
