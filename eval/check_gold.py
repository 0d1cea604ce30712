#!/usr/bin/env python3
"""Validate an evaluation gold set (JSONL) against a corpus folder.

Usage:
    python eval/check_gold.py --questions eval/gold.jsonl --corpus corpus

Checks required fields and their types, unique ids, languages and types, that answerable questions
have sources, supporting passages and key facts (and unanswerable ones have none), that every
supporting passage is a verbatim substring of one of the question's source files, and that
follow-ups carry a conversation history. Prints counts per type and language and exits 1 if any
problem was found (0 otherwise). Standard library only.

From Python (e.g. a pytest test)::

    from eval.check_gold import validate
    assert validate("eval/gold.jsonl", "corpus") == []
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

TYPES = ("fact", "number", "date", "list", "why", "multi", "unanswerable", "followup")
SPLITS = ("dev", "test")
LANGUAGES = ("de", "en")
ROLES = ("user", "assistant")
PASSAGE_MIN_CHARS = 30
PASSAGE_MAX_CHARS = 250

# field name -> (expected python type, human readable name)
REQUIRED_FIELDS: dict[str, tuple[type, str]] = {
    "id": (str, "string"),
    "question": (str, "string"),
    "language": (str, "string"),
    "history": (list, "list"),
    "answerable": (bool, "boolean"),
    "type": (str, "string"),
    "expected_sources": (list, "list"),
    "supporting_passages": (list, "list"),
    "key_facts": (list, "list"),
}
OPTIONAL_FIELDS: dict[str, tuple[type, str]] = {
    "notes": (str, "string"),
    "needs_review": (bool, "boolean"),
    "split": (str, "string"),
}

_QUOTES = str.maketrans({"„": '"', "“": '"', "”": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'"})


def _squash(text: str) -> str:
    """Whitespace-collapsed, quote-normalised, lower-cased text (only used for hints)."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().lower()


def _is_type(value: object, expected: type) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    return isinstance(value, expected) and not isinstance(value, bool)


def _load(questions_path: Path, problems: list[str]) -> list[tuple[int, dict]]:
    """Parse the JSONL file into (line number, record) pairs; blank lines are skipped."""
    records: list[tuple[int, dict]] = []
    try:
        lines = questions_path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        problems.append(f"{questions_path}: file not found")
        return records
    except UnicodeDecodeError as exc:
        problems.append(f"{questions_path}: not valid UTF-8 ({exc})")
        return records
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{questions_path.name}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{questions_path.name}:{lineno}: line is not a JSON object")
            continue
        records.append((lineno, obj))
    if not records and not problems:
        problems.append(f"{questions_path}: no questions found")
    return records


class _Corpus:
    """Reads source files from the corpus folder(s) once and remembers them (the first folder holding a
    file wins; a source path is relative to the folder it lies in)."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots
        self._texts: dict[str, str | None] = {}
        self._errors: dict[str, str] = {}

    def text(self, source: str) -> str | None:
        if source not in self._texts:
            path = next((r / source for r in self.roots if (r / source).is_file()), self.roots[0] / source)
            try:
                self._texts[source] = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                self._texts[source] = None
                self._errors[source] = f"source file not found: {path}"
            except (OSError, UnicodeDecodeError) as exc:
                self._texts[source] = None
                self._errors[source] = f"cannot read source file {path}: {exc}"
        return self._texts[source]

    def error(self, source: str) -> str:
        return self._errors.get(source, "")


def _check_record(rec: dict, where: str, corpus: _Corpus, problems: list[str], warnings: list[str]) -> None:
    def bad(msg: str) -> None:
        problems.append(f"{where}: {msg}")

    # --- presence and types --------------------------------------------------------------------
    ok_types = True
    for name, (typ, tname) in REQUIRED_FIELDS.items():
        if name not in rec:
            bad(f"missing required field '{name}'")
            ok_types = False
        elif not _is_type(rec[name], typ):
            bad(f"field '{name}' must be a {tname}, got {type(rec[name]).__name__}")
            ok_types = False
    for name, (typ, tname) in OPTIONAL_FIELDS.items():
        if name in rec and not _is_type(rec[name], typ):
            bad(f"field '{name}' must be a {tname}, got {type(rec[name]).__name__}")
    unknown = sorted(set(rec) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        warnings.append(f"{where}: unknown field(s) ignored: {', '.join(unknown)}")
    if not ok_types:
        return
    if rec.get("needs_review") is True:
        bad("a draft that still needs review ('needs_review': true): check it, then remove the field")

    qtype, answerable = rec["type"], rec["answerable"]
    if not rec["id"].strip():
        bad("'id' is empty")
    if not rec["question"].strip():
        bad("'question' is empty")
    if rec["language"] not in LANGUAGES:
        bad(f"'language' must be one of {', '.join(LANGUAGES)}, got {rec['language']!r}")
    split = rec.get("split")
    if split is not None and split not in SPLITS:
        bad(f"'split' must be one of {', '.join(SPLITS)}, got {split!r}")
    if qtype not in TYPES:
        bad(f"'type' must be one of {', '.join(TYPES)}, got {qtype!r}")
    if (qtype == "unanswerable") == answerable:
        bad(
            f"'answerable' is {str(answerable).lower()} but 'type' is {qtype!r} "
            "(type 'unanswerable' <=> answerable false)"
        )

    # --- history ---------------------------------------------------------------------------------
    history = rec["history"]
    turns_ok = True
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
            bad(f"history[{i}] must be an object with exactly 'role' and 'content'")
            turns_ok = False
        elif turn["role"] not in ROLES:
            bad(f"history[{i}].role must be 'user' or 'assistant', got {turn['role']!r}")
            turns_ok = False
        elif not isinstance(turn["content"], str) or not turn["content"].strip():
            bad(f"history[{i}].content must be a non-empty string")
            turns_ok = False
    if qtype == "followup":
        if not history:
            bad("a 'followup' question needs a non-empty 'history'")
        elif turns_ok:
            roles = [t["role"] for t in history]
            if "user" not in roles or "assistant" not in roles:
                bad("a follow-up 'history' needs at least one user and one assistant turn")
            elif roles[-1] != "assistant":
                bad("a follow-up 'history' must end with the assistant's answer")
    elif history:
        bad(f"'history' must be empty unless type is 'followup' (type is {qtype!r})")

    sources, passages, key_facts = rec["expected_sources"], rec["supporting_passages"], rec["key_facts"]

    # --- unanswerable: nothing to support ------------------------------------------------------------
    if not answerable:
        for name in ("expected_sources", "supporting_passages", "key_facts"):
            if rec[name]:
                bad(f"unanswerable question must have an empty '{name}'")
        return

    # --- answerable: sources --------------------------------------------------------------------
    if not sources:
        bad("answerable question needs at least one entry in 'expected_sources'")
    if not passages:
        bad("answerable question needs at least one entry in 'supporting_passages'")
    if not key_facts:
        bad("answerable question needs at least one entry in 'key_facts'")
    texts: dict[str, str] = {}
    for i, src in enumerate(sources):
        if not isinstance(src, str) or not src.strip():
            bad(f"expected_sources[{i}] must be a non-empty string")
            continue
        if sources.index(src) != i:
            bad(f"duplicate source {src!r}")
            continue
        text = corpus.text(src)
        if text is None:
            bad(corpus.error(src))
        else:
            texts[src] = text
    if qtype == "multi" and len({s for s in sources if isinstance(s, str)}) < 2:
        bad("a 'multi' question needs at least two different expected_sources")

    # --- answerable: passages ---------------------------------------------------------------------
    supported: set[str] = set()
    for i, passage in enumerate(passages):
        label = f"supporting_passages[{i}]"
        if not isinstance(passage, str):
            bad(f"{label} must be a string")
            continue
        short = passage if len(passage) <= 70 else passage[:67] + "..."
        if passages.index(passage) != i:
            bad(f"{label} is a duplicate")
        if passage != passage.strip():
            bad(f"{label} has leading or trailing whitespace: {short!r}")
        if not PASSAGE_MIN_CHARS <= len(passage) <= PASSAGE_MAX_CHARS:
            bad(
                f"{label} is {len(passage)} characters long; it must be "
                f"{PASSAGE_MIN_CHARS}-{PASSAGE_MAX_CHARS}: {short!r}"
            )
        if not texts:
            continue  # sources missing: already reported
        found_in = [src for src, text in texts.items() if passage in text]
        if found_in:
            supported.update(found_in)
            continue
        near = [src for src, text in texts.items() if _squash(passage) and _squash(passage) in _squash(text)]
        if near:
            bad(
                f"{label} is not a verbatim substring of {', '.join(near)}; it only matches after "
                f"normalising whitespace, quotes or case - copy it exactly: {short!r}"
            )
        else:
            bad(f"{label} not found in any expected source ({', '.join(texts)}): {short!r}")
    for src in texts:
        if passages and src not in supported:
            bad(f"expected source {src!r} has no supporting passage taken from it")

    # --- answerable: key facts ----------------------------------------------------------------------
    for i, fact in enumerate(key_facts):
        if not isinstance(fact, list) or not fact:
            bad(f"key_facts[{i}] must be a non-empty list of alternative strings")
            continue
        if not all(isinstance(alt, str) and alt.strip() and alt == alt.strip() for alt in fact):
            bad(f"key_facts[{i}] alternatives must be non-empty strings without surrounding whitespace")
            continue
        if texts and not any(alt.lower() in text.lower() for alt in fact for text in texts.values()):
            warnings.append(
                f"{where}: key_facts[{i}] {fact} occurs in none of the sources "
                "(fine for derived or translated answers; otherwise check for a typo)"
            )


CorpusDirs = str | Path | list[str] | list[Path]


def _dirs(corpus_dirs: CorpusDirs) -> list[Path]:
    return [Path(d) for d in corpus_dirs] if isinstance(corpus_dirs, list) else [Path(corpus_dirs)]


def _run(questions_path: str | Path, corpus_dirs: CorpusDirs) -> tuple[list[str], list[str], list[dict]]:
    problems: list[str] = []
    warnings: list[str] = []
    questions_path, roots = Path(questions_path), _dirs(corpus_dirs)
    for corpus_dir in roots:
        if not corpus_dir.is_dir():
            problems.append(f"corpus folder not found: {corpus_dir}")
    records = _load(questions_path, problems)
    corpus = _Corpus(roots)
    seen: dict[str, int] = {}
    for lineno, rec in records:
        qid = rec.get("id")
        where = f"{questions_path.name}:{lineno}" + (f" [{qid}]" if isinstance(qid, str) else "")
        if isinstance(qid, str):
            if qid in seen:
                problems.append(f"{where}: duplicate id {qid!r} (first used on line {seen[qid]})")
            else:
                seen[qid] = lineno
        _check_record(rec, where, corpus, problems, warnings)
    return problems, warnings, [rec for _, rec in records]


def validate(questions_path: str | Path, corpus_dirs: CorpusDirs) -> list[str]:
    """Return a list of problems found in the gold file (empty list = valid)."""
    return _run(questions_path, corpus_dirs)[0]


def summarize(records: list[dict]) -> str:
    """A small table: questions per type and language."""
    counts = Counter((r.get("type"), r.get("language")) for r in records)
    langs = sorted({lang for _, lang in counts}, key=lambda x: (x not in LANGUAGES, str(x)))
    types = list(TYPES) + sorted({t for t, _ in counts if t not in TYPES}, key=str)
    lines = [f"{'type':<14}" + "".join(f"{str(lang):>6}" for lang in langs) + f"{'total':>7}"]
    for t in types:
        row = [counts[(t, lang)] for lang in langs]
        lines.append(f"{str(t):<14}" + "".join(f"{n:>6}" for n in row) + f"{sum(row):>7}")
    totals = [sum(counts[(t, lang)] for t in types) for lang in langs]
    lines.append(f"{'total':<14}" + "".join(f"{n:>6}" for n in totals) + f"{sum(totals):>7}")
    answerable = sum(1 for r in records if r.get("answerable") is True)
    lines.append(f"answerable: {answerable}, unanswerable: {len(records) - answerable}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate an evaluation gold set against a corpus folder.")
    parser.add_argument(
        "--questions", default="eval/gold.jsonl", help="gold JSONL file (default: %(default)s)"
    )
    parser.add_argument(
        "--corpus", action="append", help="folder holding the source files; repeat for several "
        "(default: corpus and eval/corpus)"
    )
    args = parser.parse_args(argv)
    args.corpus = args.corpus or ["corpus", "eval/corpus"]

    problems, warnings, records = _run(args.questions, args.corpus)
    if records:
        print(summarize(records))
    for w in warnings:
        print(f"warning: {w}")
    if problems:
        print(f"\n{len(problems)} problem(s) in {args.questions}:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"OK: {len(records)} questions in {args.questions} are valid against {', '.join(args.corpus)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
