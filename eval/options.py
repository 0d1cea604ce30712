"""Command-line options of ``assistant eval`` (apart, so the CLI can list them without loading the eval)."""

from __future__ import annotations

import argparse
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_CORPORA = (EVAL_DIR.parent / "corpus", EVAL_DIR / "corpus")


def add_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--questions", type=Path, default=EVAL_DIR / "gold.jsonl", help="gold question file (JSONL)"
    )
    p.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=None,
        help="corpus folder (repeat for several); a throwaway index is built for them "
        "(default: corpus/ and eval/corpus/)",
    )
    p.add_argument(
        "--split",
        choices=["dev", "test", "all"],
        default="all",
        help="the gold questions of this split only: tune on dev, report on test (default: all)",
    )
    p.add_argument(
        "--llm-cache",
        type=Path,
        default=None,
        help="replay LLM replies stored in this file and store new ones (greedy decoding makes them "
        "identical); for re-runs after changes around the LLM. Latencies of such a run measure nothing",
    )
    p.add_argument(
        "--verifier-pairs",
        type=Path,
        default=EVAL_DIR / "verifier_pairs.jsonl",
        help="labelled (answer sentence, evidence) pairs: the verifier's false accepts and rejects are "
        "measured on the pairs of the chosen split",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default eval/runs/<timestamp>); an existing one is resumed",
    )
    p.add_argument(
        "--mode",
        action="append",
        choices=["dense", "bm25", "hybrid"],
        help="retrieval mode(s) to evaluate; repeat to compare (default: all three for retrieval; "
        "answers use the first one given, else ASSISTANT_RETRIEVAL_MODE, i.e. hybrid)",
    )
    p.add_argument("--no-llm", action="store_true", help="retrieval metrics only (fast)")
    p.add_argument(
        "--dates-questions",
        type=Path,
        default=EVAL_DIR / "dates.jsonl",
        help="questions with the date filter each should get: the parser's accuracy is reported per split",
    )
    p.add_argument(
        "--dates", action="store_true", help="only the date-filter accuracy on --dates-questions (seconds, no index)"
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        help="answer only N questions with the LLM, spread over all types and both languages",
    )
    p.add_argument("--only", action="append", metavar="ID", help="answer only this question id (repeatable)")
    p.add_argument("--previous", type=Path, default=None, help="an earlier run's folder, to show differences")
    p.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        help="fail (exit 3) when a metric is below these minimums (e.g. eval/thresholds.json)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--timelines", action="store_true",
                   help="evaluate timelines instead (eval/timelines.jsonl over corpus/, eval/corpus/ and the timeline "
                        "corpora; the same as python -m eval.timelines): event recall, order, citations, repeats")
    p.add_argument("--copies", action="store_true",
                   help="evaluate copy detection instead (planted copies, updates and near misses; the same as "
                        "python -m eval.copies): pairwise precision and recall")
    p.add_argument(
        "--rescore",
        action="store_true",
        help="recompute scores, summary and report from the results already in --out, asking nothing new "
        "(after a change to the metrics or the gold passages)",
    )
