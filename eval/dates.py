"""Date filters from questions: how often the parser derives the intended filter (``eval/dates.jsonl``).

Each record names its reference date (the newest article, for relative words) and the filter it should get:
``date_from``/``date_to`` (ISO, partial), ``newest_first`` and ``event`` ({relation, words}); a question gets
it right when all four match (event words as BM25 terms). Control questions hold no date at all: any
derived filter on one counts against the parser. Dates read as targets ("bis 2030") are not filters.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from assistant.date_anchors import event_terms
from assistant.dates import QuestionDates, parse

DATES_FILE = Path(__file__).resolve().parent / "dates.jsonl"


def load(path: Path = DATES_FILE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def derived(found: QuestionDates, language: str) -> dict[str, Any]:
    """What the parser would apply, in the record's terms."""
    event = None
    if found.event is not None:
        event = {"relation": found.event.relation, "words": found.event.words}
    return {"date_from": found.range.date_from if found.range else None,
            "date_to": found.range.date_to if found.range else None,
            "newest_first": found.newest_first is not None, "event": event}


def _same(got: dict[str, Any], want: dict[str, Any], language: str) -> bool:
    if (got["date_from"], got["date_to"], got["newest_first"]) != \
            (want["date_from"], want["date_to"], want["newest_first"]):
        return False
    a, b = got["event"], want["event"]
    if a is None or b is None:
        return a is b
    return a["relation"] == b["relation"] and \
        set(event_terms(a["words"], language)) == set(event_terms(b["words"], language))


def evaluate(path: Path = DATES_FILE) -> dict[str, Any]:
    """Accuracy per split: dated questions (incl. dates that are no filter), and control questions that got
    any filter (should be none)."""
    records = load(path)
    out: dict[str, Any] = {"path": str(path), "splits": {}}
    for split in ("dev", "test"):
        rows = [r for r in records if r["split"] == split]
        results = []
        for r in rows:
            got = derived(parse(r["question"], date.fromisoformat(r["reference_date"])), r["language"])
            want = {k: r.get(k) for k in ("date_from", "date_to", "newest_first", "event")}
            want["newest_first"] = bool(want["newest_first"])
            results.append((r, got, _same(got, want, r["language"])))
        dated = [(r, g, ok) for r, g, ok in results if r["category"] != "control"]
        controls = [(r, g, ok) for r, g, ok in results if r["category"] == "control"]
        by_lang = Counter(r["language"] for r, _, _ in dated)
        right_lang = Counter(r["language"] for r, _, ok in dated if ok)
        out["splits"][split] = {
            "questions": len(dated),
            "right": sum(ok for _, _, ok in dated),
            "accuracy": round(sum(ok for _, _, ok in dated) / len(dated), 3) if dated else None,
            "by_language": {lang: f"{right_lang[lang]}/{n}" for lang, n in sorted(by_lang.items())},
            "controls": len(controls),
            "controls_with_a_filter": sum(not ok for _, _, ok in controls),
            "wrong": [{"id": r["id"], "question": r["question"], "got": g,
                       "want": {k: r.get(k) for k in ("date_from", "date_to", "newest_first", "event")}}
                      for r, g, ok in results if not ok],
        }
    return out


def console(summary: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines = [f"date filters from questions ({summary['path']}):"]
    for split, s in summary["splits"].items():
        lines.append(f"  {split}: {s['right']}/{s['questions']} right ({s['accuracy']:.1%}; "
                     f"{', '.join(f'{k} {v}' for k, v in s['by_language'].items())}), "
                     f"controls with a filter: {s['controls_with_a_filter']}/{s['controls']}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    result = evaluate()
    splits = sys.argv[1:] or ["dev"]
    for name in splits:
        for w in result["splits"][name]["wrong"]:
            print(json.dumps(w, ensure_ascii=False))
    print(console({**result, "splits": {k: v for k, v in result["splits"].items() if k in splits}}))
