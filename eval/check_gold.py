#!/usr/bin/env python3
"""Checks a gold file against its corpus folders: every line a valid Question (eval/gold.py), every passage quoted.

Usage:
    python eval/check_gold.py --questions eval/gold.jsonl --corpus corpus

The rules of a single question (fields and their types, languages and types, history, sources, passages
and key facts for answerable questions only, ...) are the validators of ``eval.gold.Question``; this file
adds what needs the whole file or the corpus: unique ids, that every source file exists, that every
supporting passage is a verbatim substring of one of the question's source files and that every source
has one. Prints counts per type and language and exits 1 if any problem was found (0 otherwise).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import ValidationError

if __name__ == "__main__" and not __package__:  # python eval/check_gold.py: import from the project root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from eval.gold import LANGUAGES, TYPES, Question, describe, shorten  # noqa: E402


def _json_type(annotation: Any) -> tuple[type, str]:
    kind = get_origin(annotation) or annotation
    kind = str if kind is Literal else kind
    return kind, {str: "string", bool: "boolean", list: "list"}[kind]


# The fields every line must have, with their JSON types (drafts from UI feedback are checked against it).
REQUIRED_FIELDS: dict[str, tuple[type, str]] = {
    name: _json_type(f.annotation) for name, f in Question.model_fields.items() if f.is_required()
}

_QUOTES = str.maketrans({"„": '"', "“": '"', "”": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'"})


def _squash(text: str) -> str:
    """Whitespace-collapsed, quote-normalised, lower-cased text (only used for hints)."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip().lower()


@dataclass
class GoldCheck:
    """What checking a gold file found: its valid questions, problems (the file is invalid if there are
    any) and warnings (printed, but fine), and every JSON object in it, valid or not (for the counts)."""

    questions: list[Question] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


def _load(questions_path: Path, problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """Parse the JSONL file into (line number, record) pairs; blank lines are skipped."""
    records: list[tuple[int, dict[str, Any]]] = []
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


def _check_quotes(q: Question, corpus: _Corpus, bad: list[str], warnings: list[str]) -> None:
    """An answerable question against its sources: they exist, every passage is quoted verbatim from one of
    them, each has a passage; a key fact found in none is only a warning (it may be derived or translated)."""
    if not q.answerable:
        return
    texts: dict[str, str] = {}
    for src in dict.fromkeys(q.expected_sources):
        text = corpus.text(src)
        if text is None:
            bad.append(corpus.error(src))
        else:
            texts[src] = text
    if not texts:
        return  # sources missing: already reported
    supported: set[str] = set()
    for i, passage in enumerate(q.supporting_passages):
        label = f"supporting_passages[{i}]"
        found_in = [src for src, text in texts.items() if passage in text]
        if found_in:
            supported.update(found_in)
            continue
        near = [src for src, text in texts.items() if _squash(passage) and _squash(passage) in _squash(text)]
        if near:
            bad.append(
                f"{label} is not a verbatim substring of {', '.join(near)}; it only matches after "
                f"normalising whitespace, quotes or case - copy it exactly: {shorten(passage)!r}"
            )
        else:
            bad.append(f"{label} not found in any expected source ({', '.join(texts)}): {shorten(passage)!r}")
    bad += [f"expected source {src!r} has no supporting passage taken from it" for src in texts if src not in supported]
    for i, fact in enumerate(q.key_facts):
        if not any(alt.lower() in text.lower() for alt in fact for text in texts.values()):
            warnings.append(
                f"key_facts[{i}] {fact} occurs in none of the sources "
                "(fine for derived or translated answers; otherwise check for a typo)"
            )


CorpusDirs = str | Path | list[str] | list[Path]


def _dirs(corpus_dirs: CorpusDirs) -> list[Path]:
    return [Path(d) for d in corpus_dirs] if isinstance(corpus_dirs, list) else [Path(corpus_dirs)]


def check(questions_path: str | Path, corpus_dirs: CorpusDirs) -> GoldCheck:
    """Read and check a gold file: the questions come from here (eval/questions.py) and nowhere else."""
    out = GoldCheck()
    questions_path, roots = Path(questions_path), _dirs(corpus_dirs)
    for corpus_dir in roots:
        if not corpus_dir.is_dir():
            out.problems.append(f"corpus folder not found: {corpus_dir}")
    records = _load(questions_path, out.problems)
    corpus = _Corpus(roots)
    seen: dict[str, int] = {}
    for lineno, rec in records:
        qid = rec.get("id")
        where = f"{questions_path.name}:{lineno}" + (f" [{qid}]" if isinstance(qid, str) else "")
        if isinstance(qid, str):
            if qid in seen:
                out.problems.append(f"{where}: duplicate id {qid!r} (first used on line {seen[qid]})")
            else:
                seen[qid] = lineno
        unknown = sorted(set(rec) - set(Question.model_fields))
        if unknown:
            out.warnings.append(f"{where}: unknown field(s) ignored: {', '.join(unknown)}")
        try:
            q = Question.model_validate(rec)
        except ValidationError as exc:
            out.problems += [f"{where}: {p}" for p in describe(exc)]
            continue
        bad: list[str] = []
        warnings: list[str] = []
        _check_quotes(q, corpus, bad, warnings)
        out.problems += [f"{where}: {p}" for p in bad]
        out.warnings += [f"{where}: {w}" for w in warnings]
        if not bad:
            out.questions.append(q)
    out.records = [rec for _, rec in records]
    return out


def validate(questions_path: str | Path, corpus_dirs: CorpusDirs) -> list[str]:
    """Return a list of problems found in the gold file (empty list = valid)."""
    return check(questions_path, corpus_dirs).problems


def summarize(records: list[dict[str, Any]]) -> str:
    """A small table: questions per type and language (of every record, valid or not, so typos show)."""
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

    checked = check(args.questions, args.corpus)
    if checked.records:
        print(summarize(checked.records))
    for w in checked.warnings:
        print(f"warning: {w}")
    if checked.problems:
        print(f"\n{len(checked.problems)} problem(s) in {args.questions}:", file=sys.stderr)
        for p in checked.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"OK: {len(checked.records)} questions in {args.questions} are valid against {', '.join(args.corpus)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
