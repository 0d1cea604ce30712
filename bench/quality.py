"""Answer quality on gold questions: key-fact completeness as the eval scores it, and abstention."""

from __future__ import annotations

import json
import re
from pathlib import Path

from assistant.settings import PROJECT_ROOT
from eval.metrics import key_fact_scores

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
# Four answerable questions (German and English, cross-lingual) and two near-miss unanswerable ones.
ASK_IDS = ["de-fact-01", "en-fact-01", "de-fact-02", "en-num-01", "de-unans-01", "en-unans-04",
           "de-why-01", "en-fact-13", "de-num-01", "en-unans-02"]
# How the naive pipeline (no refusal contract) says that it does not know, in either language.
_ABSTAIN = re.compile(
    r"keine (?:information|angabe)|nicht (?:erwähnt|genannt|enthalten|angegeben|bekannt)|"
    r"no (?:information|mention)|not (?:mention|provide|contain|specif|state|available|include)|"
    r"does not (?:say|give)|cannot (?:be determined|answer|determine)|unable to", re.I)


def gold_questions(ids: list[str], path: Path = GOLD) -> list[dict]:
    by_id = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            by_id[q["id"]] = q
    return [by_id[i] for i in ids]


def correct(question: dict, answer: str, abstained: bool) -> bool:
    """Answerable: all key facts present and not abstained. Unanswerable: abstained."""
    if not question["answerable"]:
        return abstained
    return not abstained and key_fact_scores(answer, question["key_facts"])[0]


def naive_abstained(answer: str) -> bool:
    return bool(_ABSTAIN.search(answer))
