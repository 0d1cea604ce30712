"""Gold questions: load and validate a gold file (format: eval/FORMAT.md) and pick the questions to run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.errors import InputError
from assistant.models import Turn
from eval.check_gold import validate


@dataclass(frozen=True)
class Question:
    """One gold question."""

    id: str
    question: str
    language: str
    answerable: bool
    type: str
    history: list[dict[str, str]] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    supporting_passages: list[str] = field(default_factory=list)
    key_facts: list[list[str]] = field(default_factory=list)
    notes: str = ""
    split: str = "dev"

    @property
    def turns(self) -> list[Turn]:
        return [Turn(role=t["role"], content=t["content"]) for t in self.history]

    @property
    def retrieval_query(self) -> str:
        """What retrieval-only evaluation searches for: the question, or for a follow-up the last user turn
        followed by the question (the LLM path rewrites follow-ups with the condense prompt instead)."""
        if not self.history:
            return self.question
        last_user = next((t["content"] for t in reversed(self.history) if t["role"] == "user"), "")
        return f"{last_user} {self.question}".strip()

    @property
    def content_hash(self) -> str:
        """Changes when anything about the question changes (results for an old version are not reused)."""
        blob = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def load_questions(path: Path, corpus_dirs: Sequence[Path], split: str = "all") -> list[Question]:
    """The questions of a gold file (of one split, or all), after checking the file against the corpus
    folders (InputError if invalid)."""
    problems = validate(path, [Path(d) for d in corpus_dirs])
    if problems:
        listed = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(
            f"the gold file {path} has {len(problems)} problem(s); fix them "
            f"(python eval/check_gold.py --questions {path}"
            f"{''.join(f' --corpus {d}' for d in corpus_dirs)}):\n  - {listed}{more}"
        )
    out: list[Question] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out.append(Question(**{k: rec[k] for k in Question.__dataclass_fields__ if k in rec}))
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
