"""Gold questions for a run: load a checked gold file (format: eval/FORMAT.md) and pick the questions to ask."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.errors import InputError
from eval.check_gold import check
from eval.gold import Question

__all__ = ["Question", "load_questions", "select"]


def load_questions(path: Path, corpus_dirs: Sequence[Path], split: str = "all") -> list[Question]:
    """The questions of a gold file (of one split, or all), after checking the file against the corpus
    folders (InputError if invalid)."""
    checked = check(path, [Path(d) for d in corpus_dirs])
    problems = checked.problems
    if problems:
        listed = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(
            f"the gold file {path} has {len(problems)} problem(s); fix them "
            f"(python eval/check_gold.py --questions {path}"
            f"{''.join(f' --corpus {d}' for d in corpus_dirs)}):\n  - {listed}{more}"
        )
    out = checked.questions
    if split != "all":
        out = [q for q in out if q.split == split]
        if not out:
            raise InputError(f"the gold file {path} has no questions of split {split!r}")
    return out


def select(
    questions: Sequence[Question], limit: int | None = None, only: Sequence[str] = ()
) -> list[Question]:
    """The questions to answer with the LLM.

    ``only`` keeps the given ids (InputError for an unknown id). ``limit`` keeps N questions spread over
    all (type, language) groups: one from each group in turn, in file order, so that even a small limit
    covers facts, numbers, follow-ups and unanswerable questions in both languages.
    """
    chosen = list(questions)
    if only:
        known = {q.id for q in chosen}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise InputError(f"unknown question id(s): {', '.join(unknown)}")
        wanted = set(only)
        chosen = [q for q in chosen if q.id in wanted]
    if limit is None or limit >= len(chosen):
        return chosen
    groups: dict[tuple[str, str], list[Question]] = {}
    for q in chosen:
        groups.setdefault((q.type, q.language), []).append(q)
    picked: list[Question] = []
    queues = list(groups.values())
    while len(picked) < limit:
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    order = {q.id: i for i, q in enumerate(questions)}
    return sorted(picked, key=lambda q: order[q.id])
