"""Helpers for the eval tests: command-line arguments as `assistant eval` parses them, and fake answerers."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from assistant.prompts import PromptLibrary
from assistant.settings import PROJECT_ROOT
from eval.options import DEFAULT_CORPORA, add_eval_args
from tests.fakes import question_of, source_texts

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
CORPUS = PROJECT_ROOT / "corpus"
CORPORA = list(DEFAULT_CORPORA)  # the gold set's sources lie in corpus/ and eval/corpus/
THRESHOLDS = PROJECT_ROOT / "eval" / "thresholds.json"
PROMPTS = PromptLibrary(PROJECT_ROOT / "prompts")
REFUSAL = {lang: PROMPTS.get("answer", lang).extra("refusal") for lang in ("de", "en")}


def eval_args(out: Path, *extra: str) -> argparse.Namespace:
    """Arguments exactly as `assistant eval --out OUT EXTRA...` would give them to eval.run.main."""
    parser = argparse.ArgumentParser()
    add_eval_args(parser)
    return parser.parse_args(["--out", str(out), "--quiet", *extra])


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def extractive_reply(messages: list[dict[str, str]]) -> str:
    """A fake LLM that copies the source sentence sharing most words with the question and cites it;
    asked to rewrite a follow-up it returns the question unchanged, asked to translate the text."""
    last = messages[-1]["content"]
    system = messages[0]["content"].lower() if messages[0]["role"] == "system" else ""
    if "translate" in system or "übersetz" in system:
        return last.strip().strip('"')  # the "translation" keeps the text: markers and facts survive
    if "Letzte Frage:" in last or "Last question:" in last or "Latest question:" in last:
        return last.rsplit(":", 1)[-1].strip()
    sources = source_texts(messages)
    if not sources:
        return refusal_reply(messages)
    q = _words(question_of(messages))
    n, text = max(sources.items(), key=lambda kv: len(q & _words(kv[1])))
    sentence = max(re.split(r"(?<=[.!?])\s+", text), key=lambda s: len(q & _words(s)))
    return f"{sentence.rstrip('.')} [{n}]."


def refusal_reply(messages: list[dict[str, str]]) -> str:
    """A fake LLM that always gives the prompt's "not in the sources" reply, in the question's language."""
    return REFUSAL["en" if "Answer in English." in messages[-1]["content"] else "de"]
