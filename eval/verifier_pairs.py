"""The verifier measured as a classifier on labelled (question, answer sentence, evidence, supported) pairs.

Each pair in ``eval/verifier_pairs.jsonl`` holds a question, one answer sentence with its ``[n]`` markers,
the numbered evidence passages it may cite, and a human label: should a careful judge accept the sentence
as a correct, source-supported answer to the question? The kinds name what a pair tests (cross-language
words, one-word answers, a wrong partner from the same passage, a true fact that does not answer, ...).
The verifier sees exactly what it sees in the answer path: the passages as evidence with their relevance
to the question (``EvidencePicker.relevance``), the analysed question, the answer language.

    false accept rate = accepted unsupported pairs / unsupported pairs
    false reject rate = rejected supported pairs / supported pairs
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import InputError
from assistant.models import Passage
from assistant.questions import analyse
from assistant.service import Assistant
from assistant.text import detect_language


class VerifierPair(BaseModel):
    """One labelled pair (see module docstring)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    split: str = Field(pattern="^(dev|test)$")
    question: str
    language: str = Field(pattern="^(de|en)$")
    sentence: str
    passages: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    supported: bool
    kind: str
    notes: str = ""


@dataclass(frozen=True)
class Outcome:
    """The verifier's verdict on one pair."""

    pair: VerifierPair
    accepted: bool
    reason: str | None


def load_pairs(path: Path, split: str = "all") -> list[VerifierPair]:
    """The pairs of ``split`` ("dev", "test" or "all"); InputError for a malformed file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read the verifier pairs {path}: {e}") from e
    pairs = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pairs.append(VerifierPair.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValueError) as e:
            raise InputError(f"{path}:{i}: not a valid verifier pair ({e})") from e
    return [p for p in pairs if split == "all" or p.split == split]


def judge(assistant: Assistant, pair: VerifierPair) -> Outcome:
    """Run the assistant's verifier on one pair, as the answer path would."""
    info = analyse(pair.question, pair.language)
    texts = pair.passages
    scores = assistant.evidence.relevance(info, texts)
    evidence = [
        Passage(doc_id=f"{pair.id}-{n}", source=src, title="", chunk_id=f"{pair.id}-{n}", text=text, start=0,
                end=len(text), score=score, language=detect_language(text))
        for n, (text, src, score) in enumerate(zip(texts, pair.sources, scores, strict=True), 1)
    ]
    refusal = assistant.prompts.get("answer", pair.language).extra("refusal")
    check = assistant.verifier.verify(pair.sentence, evidence, refusal, pair.language, info)
    reason = next((c.reason for c in check.checks if not c.accepted), None)
    if any(c.accepted and c.repaired for c in check.checks):
        reason = "repaired: the verifier moved the citation to another source"
    # Accepted means accepted as written: a sentence the verifier had to re-cite was not accepted as cited.
    return Outcome(pair, any(c.accepted and not c.repaired for c in check.checks), reason)


def evaluate(assistant: Assistant, path: Path, split: str = "all") -> dict[str, Any]:
    """False accept / false reject rates overall, per language and per kind, and the misjudged pairs."""
    outcomes = [judge(assistant, p) for p in load_pairs(path, split)]
    return summarise(outcomes) | {"path": str(path), "split": split}


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    def rates(items: list[Outcome]) -> dict[str, Any]:
        pos = [o for o in items if o.pair.supported]
        neg = [o for o in items if not o.pair.supported]
        fa = sum(o.accepted for o in neg)
        fr = sum(not o.accepted for o in pos)
        return {
            "n": len(items), "supported": len(pos), "unsupported": len(neg),
            "false_accept_rate": fa / len(neg) if neg else None,
            "false_reject_rate": fr / len(pos) if pos else None,
            "accuracy": (len(items) - fa - fr) / len(items) if items else None,
        }

    by_kind = {k: rates([o for o in outcomes if o.pair.kind == k]) for k in sorted({o.pair.kind for o in outcomes})}
    by_language = {lang: rates([o for o in outcomes if o.pair.language == lang]) for lang in ("de", "en")}
    wrong = [
        {"id": o.pair.id, "kind": o.pair.kind, "supported": o.pair.supported, "question": o.pair.question,
         "sentence": o.pair.sentence, "verifier": "accepted" if o.accepted else f"rejected: {o.reason}"}
        for o in outcomes if o.accepted != o.pair.supported
    ]
    return {"overall": rates(outcomes), "by_language": by_language, "by_kind": by_kind, "misjudged": wrong}


def report_lines(v: dict[str, Any]) -> list[str]:
    """The report.md section on the verifier as a classifier."""
    o = v["overall"]

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f} %"

    lines = [
        "", "## The verifier as a classifier", "",
        f"`{v['path']}`, split {v['split']}: {o['n']} labelled pairs ({o['supported']} supported, "
        f"{o['unsupported']} not). False accepts {pct(o['false_accept_rate'])}, false rejects "
        f"{pct(o['false_reject_rate'])}, accuracy {pct(o['accuracy'])}.", "",
        "| kind | n | label | verifier accepts |", "|---|---|---|---|",
    ]
    for kind, r in v["by_kind"].items():
        label = "supported" if r["supported"] else "unsupported"
        accepted = (r["supported"] - round((r["false_reject_rate"] or 0) * r["supported"])) if r["supported"] \
            else round((r["false_accept_rate"] or 0) * r["unsupported"])
        lines.append(f"| {kind} | {r['n']} | {label} | {accepted} of {r['n']} |")
    if v["misjudged"]:
        lines += ["", "Misjudged pairs:", ""]
        lines += [f"- {m['id']} ({m['kind']}, {'supported' if m['supported'] else 'unsupported'}): "
                  f"“{m['sentence']}” to “{m['question']}” — {m['verifier']}" for m in v["misjudged"][:40]]
    return lines
