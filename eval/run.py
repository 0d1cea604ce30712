"""`assistant eval`: runs a gold question set through the assistant on a throwaway index and reports.

Retrieval is measured with ``Assistant.search`` for every question and mode; answers come from
``Assistant.ask_stream`` exactly as POST /api/ask produces them (condensing, retrieval, generation,
verification, refusal). Results go to ``results.jsonl`` one line per question as soon as they exist, so
an interrupted run resumes with the same ``--out``; then ``summary.json``, ``report.md`` and charts.
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from assistant.errors import AssistantError, InputError
from assistant.factory import build_assistant, build_llm
from assistant.retrieval import Mode
from assistant.service import Assistant
from assistant.settings import Settings
from eval import ask, dates, quality_gate, report, verifier_pairs
from eval.corpus_index import build_index, count, gold_spans
from eval.gold import Question
from eval.llm_cache import CachedLLM
from eval.metrics import Span, retrieval_scores
from eval.options import DEFAULT_CORPORA, EVAL_DIR
from eval.questions import load_questions, select
from eval.results import AnswerResult, Result, ResultsFile, RetrievalResult, key
from eval.runinfo import code_version, fingerprints, run_config
from eval.scoring import answer_from_record, context_from_record, score_answer
from eval.summary import answers_summary, retrieval_summary

EXIT_OK, EXIT_ERROR, EXIT_GATE, EXIT_INTERRUPTED = 0, 1, 3, 130
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
FOLLOWUP_NOTE = (
    "Retrieval metrics search follow-up questions as the last user turn followed by the question "
    "(no LLM rewriting); answers rewrite them with the condense prompt, as the API does."
)

Builder = Callable[[Settings], Assistant]
R = TypeVar("R", RetrievalResult, AnswerResult)


@dataclass
class EvalOptions:
    """What to evaluate and where to write it (from the command line, or built directly in tests)."""

    questions: Path
    corpora: list[Path]
    out: Path
    modes: list[Mode]
    answer_mode: Mode
    no_llm: bool = False
    limit: int | None = None
    only: list[str] = field(default_factory=list)
    previous: Path | None = None
    thresholds: Path | None = None
    quiet: bool = False
    rescore: bool = False
    modes_given: bool = True
    split: str = "all"
    verifier_pairs: Path | None = None
    llm_cache: Path | None = None
    dates_questions: Path = dates.DATES_FILE
    command: str = ""

    @classmethod
    def from_args(cls, args: Any, settings: Settings) -> EvalOptions:
        modes = list(dict.fromkeys(args.mode or MODES))
        answer_mode = args.mode[0] if args.mode else settings.retrieval.retrieval_mode
        out = args.out or EVAL_DIR / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
        if getattr(args, "limit", None) is not None and args.limit < 1:
            raise InputError("--limit must be at least 1")
        opts = cls(
            questions=Path(args.questions),
            corpora=[Path(c) for c in (args.corpus or DEFAULT_CORPORA)],
            out=Path(out),
            modes=modes,
            answer_mode=answer_mode,
            no_llm=bool(args.no_llm),
            limit=args.limit,
            only=list(getattr(args, "only", None) or []),
            previous=args.previous,
            thresholds=args.thresholds,
            quiet=bool(getattr(args, "quiet", False)),
            modes_given=bool(args.mode),
            rescore=bool(getattr(args, "rescore", False)),
            split=getattr(args, "split", "all") or "all",
            verifier_pairs=getattr(args, "verifier_pairs", None),
            llm_cache=getattr(args, "llm_cache", None),
            dates_questions=Path(getattr(args, "dates_questions", None) or dates.DATES_FILE),
        )
        opts.command = opts.as_command()
        return opts

    def as_command(self) -> str:
        """The command line that repeats (or, with the same --out, resumes) this run."""
        parts = ["--questions", str(self.questions)] + [x for c in self.corpora for x in ("--corpus", str(c))]
        parts += ["--out", str(self.out)] + (["--split", self.split] if self.split != "all" else [])
        parts += [x for m in self.modes for x in ("--mode", m)] if self.modes_given else []
        parts += ["--no-llm"] if self.no_llm else []
        parts += ["--limit", str(self.limit)] if self.limit is not None else []
        parts += [x for i in self.only for x in ("--only", i)]
        parts += ["--previous", str(self.previous)] if self.previous else []
        parts += ["--thresholds", str(self.thresholds)] if self.thresholds else []
        parts += ["--llm-cache", str(self.llm_cache)] if self.llm_cache else []
        return "assistant eval " + " ".join(shlex.quote(p) for p in parts)


def main(args: Any, settings: Settings, build: Builder = build_assistant) -> int:
    """Run the evaluation; exit 0, 3 when the gate fails, 1 on an error, 130 when interrupted."""
    opts: EvalOptions | None = None
    dates_file = getattr(args, "dates_questions", None)
    if getattr(args, "dates", False):  # the parser alone: no index, no models
        print(dates.console(dates.evaluate(dates_file or dates.DATES_FILE)))
        return EXIT_OK
    try:
        opts = EvalOptions.from_args(args, settings)
        summary = run(opts, settings, build)
    except KeyboardInterrupt:
        out = opts.out if opts else "the output folder"
        print(
            f"\ninterrupted; finished questions are in {out}/results.jsonl. "
            f"Run the same command with --out {out} to resume.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except AssistantError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(report.console_summary(summary))
    if summary.get("dates"):
        print(dates.console(summary["dates"]))
    print(f"\nreport: {opts.out / 'report.md'}")
    verdict = summary.get("quality_gate")
    if verdict is None:
        return EXIT_OK
    if verdict["failures"]:
        print(
            f"\nGATE FAILED ({len(verdict['failures'])} metric(s) below {opts.thresholds}):", file=sys.stderr
        )
        for f in verdict["failures"]:
            print(f"  - {f}", file=sys.stderr)
        return EXIT_GATE
    print(f"gate passed: {verdict['checked']} metric(s) at or above {opts.thresholds}")
    return EXIT_OK


def run(opts: EvalOptions, settings: Settings, build: Builder = build_assistant) -> dict[str, Any]:
    """The whole evaluation; returns the summary (also written to ``opts.out/summary.json``)."""
    started, t0 = datetime.now().astimezone(), time.perf_counter()
    code = code_version()  # before anything runs: the tree may change while a long run goes on
    questions = load_questions(opts.questions, opts.corpora, opts.split)
    to_answer = [] if opts.no_llm else select(questions, opts.limit, opts.only)
    thresholds = quality_gate.load_thresholds(opts.thresholds) if opts.thresholds else None
    previous = _load_previous(opts.previous) if opts.previous else None
    opts.out.mkdir(parents=True, exist_ok=True)

    fps = fingerprints(settings, opts.corpora, opts.answer_mode)
    results = ResultsFile(opts.out / "results.jsonl")
    old, stale = results.load(None if opts.rescore else fps)
    latest = {key(r): r for r in old}
    qhash = {q.id: q.content_hash for q in questions}
    reused = sum(1 for r in latest.values() if r.error is None and r.qhash == qhash.get(r.id))
    phases: dict[str, float] = {}

    # The throwaway index: never the user's index folder, never a configured Chroma server.
    with tempfile.TemporaryDirectory(prefix="assistant-eval-", ignore_cleanup_errors=True) as tmp:
        run_settings = settings.replace(index_dir=Path(tmp) / "index", chroma_host=None)
        cached: CachedLLM | None = None
        if opts.llm_cache is not None and not opts.no_llm:
            cached = CachedLLM(build_llm(run_settings), opts.llm_cache)
            assistant = build_assistant(run_settings, llm=cached)
        else:
            assistant = build(run_settings)
        t = time.perf_counter()
        corpus = build_index(assistant, run_settings, opts.corpora, opts.quiet)
        phases["ingest_s"] = time.perf_counter() - t
        spans, languages, unlocated = gold_spans(assistant, questions)
        refusals = tuple(assistant.prompts.get("answer", lang).extra("refusal") for lang in ("de", "en"))

        def stamp(q: Question, kind: str) -> dict[str, Any]:
            """Whose result it is: the question, its version, the configuration, the code."""
            return {"id": q.id, "qhash": qhash[q.id], "config": fps[kind], "code": code}

        def pending(kind: str, mode: str, qs: Sequence[Question]) -> list[Question]:
            if opts.rescore:
                return []
            return [q for q in qs if not _done(latest.get((kind, mode, q.id)), qhash[q.id])]

        for mode in opts.modes:
            t = time.perf_counter()
            for q in tqdm(
                pending("retrieval", mode, questions),
                desc=f"retrieval ({mode})",
                unit="q",
                disable=opts.quiet,
                file=sys.stderr,
            ):
                retrieved = ask.retrieve(assistant, q, mode, stamp(q, "retrieval"))
                results.append(retrieved)
                latest[key(retrieved)] = retrieved
            phases[f"retrieval_{mode}_s"] = time.perf_counter() - t

        if to_answer:
            t = time.perf_counter()
            for q in tqdm(
                pending("answer", opts.answer_mode, to_answer),
                desc="answers",
                unit="q",
                disable=opts.quiet,
                file=sys.stderr,
            ):
                answered = ask.answer(assistant, q, opts.answer_mode, spans[q.id], stamp(q, "answer"))
                results.append(answered)
                latest[key(answered)] = answered
            phases["answers_s"] = time.perf_counter() - t
        config = run_config(assistant, run_settings, opts)
        verifier = None
        if opts.verifier_pairs is not None and opts.verifier_pairs.is_file():
            t = time.perf_counter()
            verifier = verifier_pairs.evaluate(assistant, opts.verifier_pairs, opts.split)
            phases["verifier_pairs_s"] = time.perf_counter() - t

    # Scores are computed from the stored results every time, so results of an interrupted run (and of a
    # run made before a change to the metrics) are scored exactly like new ones.
    by_id = {q.id: q for q in questions}
    for (_, _, qid), result in latest.items():
        if not _done(result, qhash.get(qid)):
            continue
        q = by_id[qid]
        if isinstance(result, RetrievalResult):
            hits = [Span(h.source, h.start, h.end) for h in result.hits]
            result.scores = retrieval_scores(hits, q.expected_sources, spans[qid]) if q.answerable else None
        else:
            context = context_from_record(result)
            result.scores = score_answer(q, answer_from_record(result), spans[qid], context, languages, refusals)
    results.rewrite(latest.values())

    def usable(kind: type[R], mode: str) -> dict[str, R]:
        return {
            i: r for (_, m, i), r in latest.items() if isinstance(r, kind) and m == mode and _done(r, qhash.get(i))
        }

    # the code that produced the results (several versions when a resumed run spans commits)
    versions = sorted({str(r.code or "unknown") for r in latest.values()} or {str(code)})
    config["code"] = ", ".join(versions)
    errors = [f"{r.id}: {r.error}" for r in latest.values() if r.error is not None and r.qhash == qhash.get(r.id)]
    timed_out = sorted(r.id for r in usable(AnswerResult, opts.answer_mode).values() if r.timed_out)
    summary: dict[str, Any] = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "wall_s": round(time.perf_counter() - t0, 1),
            "phases_s": {k: round(v, 1) for k, v in phases.items()},
            "command": opts.command,
            "out": str(opts.out),
            "questions": {
                "path": str(opts.questions),
                "n": len(questions),
                "by_language": count(q.language for q in questions),
                "by_type": count(q.type for q in questions),
                "answered_with_llm": [q.id for q in to_answer],
            },
            "corpus": corpus,
            "config": config,
            "followup_retrieval": FOLLOWUP_NOTE,
            "reused_results": reused,
            "stale_results": stale,
            "errors": errors,
            "timed_out": timed_out,
            "unlocated_passages": unlocated,
            "llm_cache": None if cached is None else {
                "path": str(opts.llm_cache), "replayed": cached.replayed, "generated": cached.generated},
        },
        "retrieval": {mode: retrieval_summary(questions, usable(RetrievalResult, mode)) for mode in opts.modes},
        "answers": answers_summary(to_answer, usable(AnswerResult, opts.answer_mode)) if to_answer else None,
        "verifier": verifier,
        "dates": dates.evaluate(opts.dates_questions) if opts.dates_questions.is_file() else None,
    }
    if opts.rescore:  # the run's own timing, not the rescoring's
        earlier = _load_previous(opts.out) if (opts.out / "summary.json").exists() else {}
        for name in ("started", "wall_s", "phases_s"):
            if name in earlier.get("meta", {}):
                summary["meta"][name] = earlier["meta"][name]
        summary["meta"]["rescored"] = started.isoformat(timespec="seconds")
    if thresholds is not None:
        verdict = quality_gate.check(summary, thresholds)
        summary["quality_gate"] = {
            "thresholds": str(opts.thresholds),
            "failures": verdict.failures,
            "skipped": verdict.skipped,
            "checked": verdict.checked,
        }
    (opts.out / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    report.write(opts.out, summary, questions, latest, previous)
    return summary


def _done(rec: Result | None, qhash: str | None) -> bool:
    return rec is not None and rec.error is None and rec.qhash == qhash


def _load_previous(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputError(
            f"--previous {folder}: no summary.json there; pass the folder of an earlier run"
        ) from e
    except json.JSONDecodeError as e:
        raise InputError(f"--previous {folder}: summary.json is not valid JSON ({e.msg})") from e
