"""Timeline evaluation: ``python -m eval.timelines --split test`` (or ``assistant eval --timelines``).

Each question of ``eval/timelines.jsonl`` (format: ``id``, ``split``, ``language``, ``question``, ``events``:
``[{"date": ISO, "phrases": [...]}]``) goes through ``Assistant.timeline`` on a throwaway index of the bundled
corpus, the eval corpus and the timeline corpus (dated follow-ups, planted copies, one updated version),
ingested with the copy check on. A gold event is found when an event's sentence contains one of its
phrases. Reported, per question and overall:

- event recall: gold events found / gold events (target >= 0.8);
- order accuracy: of the pairs of found gold events with different dates, the share in the right order;
- citation coverage: events whose citation is their sentence at its offsets in the stored article, numbered
  1..n in order;
- repeats: events that repeat an earlier one of the same timeline: the same sentence again, from a copy
  of the story or as background in a later report (token Jaccard >= 0.6); and, for information, events
  taken from a second printing of a story that another event was taken from;
- date agreement (the event's date agrees with the gold date as far as both are precise) and the share of
  events that are gold events, for information.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.models import Timeline, TimelineEvent
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text import bm25_tokens

EVAL_DIR = Path(__file__).resolve().parent
GOLD = EVAL_DIR / "timelines.jsonl"
CORPORA = (PROJECT_ROOT / "corpus", EVAL_DIR / "corpus", EVAL_DIR / "timeline_corpus", EVAL_DIR / "timeline_holdout")
TARGETS = {"event_recall": 0.8, "order_accuracy": 1.0, "citation_coverage": 1.0, "repeats": 0}


@dataclass(frozen=True)
class GoldEvent:
    date: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class TimelineQuestion:
    id: str
    split: str
    language: str
    question: str
    events: tuple[GoldEvent, ...]


def load(path: Path = GOLD, split: str = "all") -> list[TimelineQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        q = TimelineQuestion(r["id"], r["split"], r["language"], r["question"],
                             tuple(GoldEvent(e["date"], tuple(e["phrases"])) for e in r["events"]))
        if split in ("all", q.split):
            out.append(q)
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def dates_agree(a: str, b: str) -> bool:
    """Whether two ISO dates can be the same day ("2022-07" and "2022-07-15" can)."""
    return a.startswith(b) or b.startswith(a)


def match(gold: Sequence[GoldEvent], events: Sequence[TimelineEvent]) -> list[int | None]:
    """For each gold event the index of the event that reports it (one with an agreeing date if any)."""
    out: list[int | None] = []
    for g in gold:
        hits = [i for i, e in enumerate(events) if any(_norm(p) in _norm(e.text) for p in g.phrases)]
        agreeing = [i for i in hits if dates_agree(events[i].date, g.date)]
        found = agreeing or hits
        out.append(found[0] if found else None)
    return out


def order_pairs(gold: Sequence[GoldEvent], found: Sequence[int | None]) -> tuple[int, int]:
    """(pairs in the right order, pairs judged): found gold events with different dates."""
    right = judged = 0
    for i in range(len(gold)):
        for j in range(len(gold)):
            a, b = found[i], found[j]
            if a is None or b is None or a == b or not gold[i].date < gold[j].date \
                    or dates_agree(gold[i].date, gold[j].date):
                continue
            judged += 1
            right += a < b
    return right, judged


def repeats(events: Sequence[TimelineEvent]) -> int:
    """Events that repeat an earlier one of the timeline: the same sentence, from a copy of the story or as
    background in another report (token Jaccard >= 0.6)."""
    count = 0
    for i, e in enumerate(events):
        toks = set(bm25_tokens(e.text))
        if any(toks and (other := set(bm25_tokens(o.text))) and len(toks & other) / len(toks | other) >= 0.6
               for o in events[:i]):
            count += 1
    return count


def copies_mixed(events: Sequence[TimelineEvent], story_of: Callable[[str], str | None]) -> int:
    """Events taken from another printing of a story that an earlier event was already taken from."""
    used: dict[str, str] = {}
    mixed = 0
    for e in events:
        story = story_of(e.citation.doc_id)
        if story is None:
            continue
        if used.setdefault(story, e.citation.doc_id) != e.citation.doc_id:
            mixed += 1
    return mixed


def cited(events: Sequence[TimelineEvent], article: Callable[[str], str | None]) -> int:
    """Events whose citation is their own sentence at its offsets, numbered in order."""
    ok = 0
    for n, e in enumerate(events, 1):
        c = e.citation
        text = article(c.doc_id)
        ok += c.n == n and text is not None and text[c.start:c.end] == c.text and _norm(e.text) in _norm(c.text)
    return ok


def score(q: TimelineQuestion, t: Timeline, article: Callable[[str], str | None],
          story_of: Callable[[str], str | None]) -> dict[str, Any]:
    found = match(q.events, t.events)
    right, judged = order_pairs(q.events, found)
    agree = sum(1 for g, i in zip(q.events, found, strict=True)
                if i is not None and dates_agree(t.events[i].date, g.date))
    on_gold = len({i for i in found if i is not None})
    return {
        "id": q.id, "split": q.split, "language": q.language, "question": q.question,
        "gold_events": len(q.events), "found": sum(i is not None for i in found), "events": len(t.events),
        "order_right": right, "order_pairs": judged, "cited": cited(t.events, article),
        "repeats": repeats(t.events), "copies_mixed": copies_mixed(t.events, story_of), "dates_agree": agree,
        "events_on_gold": on_gold,
        "missing": [g.phrases[0] for g, i in zip(q.events, found, strict=True) if i is None],
        "timeline": [{"date": e.date, "source": e.date_source, "doc": e.citation.source, "text": e.text}
                     for e in t.events],
        "ms": t.timings.get("total_ms"),
    }


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    def ratio(a: str, b: str) -> float:
        total = sum(r[b] for r in rows)
        return round(sum(r[a] for r in rows) / total, 3) if total else 1.0

    ms = sorted(r["ms"] or 0.0 for r in rows)
    return {"questions": len(rows), "event_recall": ratio("found", "gold_events"),
            "order_accuracy": ratio("order_right", "order_pairs"), "citation_coverage": ratio("cited", "events"),
            "repeats": sum(r["repeats"] for r in rows), "copies_mixed": sum(r["copies_mixed"] for r in rows),
            "date_agreement": ratio("dates_agree", "found"),
            "events_on_gold": ratio("events_on_gold", "events"), "events": sum(r["events"] for r in rows),
            "latency_ms_p50": ms[len(ms) // 2] if ms else None}


def build(settings: Settings, corpora: Sequence[Path], quiet: bool = False) -> Any:
    """An assistant over a fresh index of ``corpora`` (ingested with the copy check, as ``assistant ingest``)."""
    from assistant.factory import build_assistant
    from ingest.factory import build_ingester

    assistant = build_assistant(settings)
    if not assistant.documents():
        ingester = build_ingester(settings, assistant.retriever.embedder, assistant.store, assistant.retriever.bm25)
        t = time.perf_counter()
        summary = ingester.ingest(list(corpora))
        if not quiet:
            print(f"ingested in {time.perf_counter() - t:.0f} s: {summary.report().splitlines()[0]}",
                  file=sys.stderr)
    return assistant


def evaluate(assistant: Any, questions: Sequence[TimelineQuestion]) -> list[dict[str, Any]]:
    stories = {d.doc_id: d.story_id for d in assistant.documents()}

    def article(doc_id: str) -> str | None:
        found = assistant.document(doc_id)
        return found[1] if found else None

    return [score(q, assistant.timeline(q.question, q.language), article, stories.get) for q in questions]


def report(rows: Sequence[dict[str, Any]], verbose: bool = False) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r['id']:<12} found {r['found']}/{r['gold_events']}  order {r['order_right']}/{r['order_pairs']}"
                     f"  cited {r['cited']}/{r['events']}  repeats {r['repeats']}  {r['question']}")
        if r["missing"]:
            lines.append(f"{'':12} missing: {'; '.join(r['missing'])}")
        if verbose:
            lines += [f"{'':12} {e['date']:<10} {e['source'][:4]} {e['doc'][:22]:<22} {e['text'][:90]}"
                      for e in r["timeline"]]
    for split in sorted({r["split"] for r in rows}) + ["all"]:
        part = [r for r in rows if split in ("all", r["split"])]
        s = summarise(part)
        lines.append(f"{split}: {s['questions']} questions, event recall {s['event_recall']:.3f}, order accuracy "
                     f"{s['order_accuracy']:.3f}, citation coverage {s['citation_coverage']:.3f}, repeats "
                     f"{s['repeats']}, date agreement {s['date_agreement']:.3f}, events on gold "
                     f"{s['events_on_gold']:.3f} ({s['events']} events), p50 {s['latency_ms_p50']} ms")
    return "\n".join(lines)


def met(summary: dict[str, Any]) -> bool:
    return (summary["event_recall"] >= TARGETS["event_recall"] and summary["order_accuracy"] >= 1.0
            and summary["citation_coverage"] >= 1.0 and summary["repeats"] == 0)


def run_cli(args: Any, settings: Settings) -> int:
    """``assistant eval --timelines``: the same as ``python -m eval.timelines``."""
    questions = load(getattr(args, "timeline_questions", None) or GOLD, args.split)
    with tempfile.TemporaryDirectory() as tmp:
        index = getattr(args, "index", None) or Path(tmp) / "index"
        s = settings.replace(index_dir=Path(index), chroma_host=None)
        rows = evaluate(build(s, args.corpus or CORPORA, args.quiet), questions)
    print(report(rows, getattr(args, "verbose", False)))
    summary = summarise(rows)
    out = getattr(args, "out", None)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "timelines.json").write_text(json.dumps({"summary": summary, "questions": rows},
                                                             ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if met(summary) else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "holdout", "all"], default="all")
    parser.add_argument("--timeline-questions", type=Path, default=GOLD)
    parser.add_argument("--corpus", type=Path, action="append", default=None)
    parser.add_argument("--index", type=Path, default=None, help="keep (and reuse) the index here")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true", help="print every timeline")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    return run_cli(args, Settings())


if __name__ == "__main__":
    raise SystemExit(main())
