"""Turns UI feedback (thumbs up/down on answers, JSONL) into draft gold questions (eval/FORMAT.md).

    python -m eval.feedback_to_gold .index/feedback.jsonl --corpus corpus --out eval/drafts.jsonl

- Thumbs up on an answer: an answerable question whose sources are the cited articles, whose supporting
  passages are the cited sentences closest to the answer (cut to 30-250 characters, verbatim in the
  article file when ``--corpus`` is given), and whose key facts are the numbers and names the answer
  shares with them. Check the key facts before relying on them.
- Thumbs up on a refusal: an unanswerable question.
- Thumbs down: a draft with ``"needs_review": true`` and the bad answer in ``notes``; the gold check
  refuses such records until a person has decided what the right answer is and removed the flag.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.citations import strip_markers
from assistant.text import bm25_tokens, split_sentences

MIN_CHARS, MAX_CHARS = 30, 250
MAX_FACTS = 4
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b(?:[A-ZÄÖÜ]{2,}[\w-]*|[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?\w+)*|\w*[a-z]-?[A-Z]\w*)\b")


def _qid(record: dict[str, Any]) -> str:
    digest = hashlib.sha256(
        f"{record.get('ts')}|{record.get('question')}|{record.get('answer')}".encode()
    ).hexdigest()[:8]
    return f"fb-{record.get('language', 'xx')}-{digest}"


def _fit(sentence: str) -> str | None:
    """The sentence cut to at most MAX_CHARS at a word boundary; None if shorter than MIN_CHARS."""
    s = sentence.strip()
    if len(s) > MAX_CHARS:
        s = s[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:")
    return s if len(s) >= MIN_CHARS else None


def supporting_passages(
    answer: str, cited_texts: Sequence[str], language: str, article_text: str | None = None, limit: int = 2
) -> list[str]:
    """The cited sentences sharing the most stemmed words with the answer (verbatim in ``article_text``)."""
    wanted = set(bm25_tokens(strip_markers(answer), language))
    candidates: list[tuple[int, int, str]] = []
    for text in cited_texts:
        for i, sentence in enumerate(split_sentences(text)):
            fitted = _fit(sentence)
            if fitted is None or (article_text is not None and fitted not in article_text):
                continue
            overlap = len(wanted & set(bm25_tokens(fitted, "de")) | wanted & set(bm25_tokens(fitted, "en")))
            candidates.append((-overlap, i, fitted))
    best = sorted(candidates)
    picked = [s for score, _, s in best if score < 0][:limit]
    return picked or [s for _, _, s in best[:1]]


def key_facts(answer: str, cited_texts: Sequence[str]) -> list[list[str]]:
    """Numbers and names that the answer shares with the cited passages, each as a one-alternative fact."""
    claim = strip_markers(answer)
    cited = " ".join(cited_texts)
    cited_lower = cited.lower()
    facts: list[str] = []
    for m in list(_NUMBER.finditer(claim)) + list(_NAME.finditer(claim)):
        token = m.group()
        if token.lower() in cited_lower and token not in facts and len(token) > 1:
            facts.append(token)
    return [[f] for f in facts[:MAX_FACTS]]


def draft(record: dict[str, Any], corpus_dir: Path | None = None) -> dict[str, Any]:
    """One draft gold question from one feedback record."""
    citations = [c for c in record.get("citations") or [] if c.get("text") and c.get("source")]
    history = record.get("history") or []
    language = record.get("language") or "de"
    answered = bool(record.get("answerable", bool(citations)))
    sources = list(dict.fromkeys(c["source"] for c in citations))
    passages: list[str] = []
    for source in sources:
        path = corpus_dir / source if corpus_dir else None
        article = path.read_text(encoding="utf-8") if path is not None and path.is_file() else None
        texts = [c["text"] for c in citations if c["source"] == source]
        passages += supporting_passages(record.get("answer", ""), texts, language, article)
    comment = f"; comment: {record['comment']!r}" if record.get("comment") else ""
    out: dict[str, Any] = {
        "id": _qid(record),
        "question": record["question"],
        "language": language,
        "history": history,
        "answerable": answered,
        "type": "followup"
        if history and answered
        else ("unanswerable" if not answered else "multi" if len(sources) > 1 else "fact"),
        "expected_sources": sources if answered else [],
        "supporting_passages": passages if answered else [],
        "key_facts": key_facts(record.get("answer", ""), [c["text"] for c in citations]) if answered else [],
    }
    if record.get("rating") == "up":
        out["notes"] = f"draft from feedback (up) {record.get('ts')}: check the key facts{comment}"
    else:
        out["needs_review"] = True
        out["notes"] = (
            f"rated down {record.get('ts')}{comment}. The assistant answered: {record.get('answer')!r}. "
            "Decide whether the archive answers this, fix sources, passages and key facts, "
            "then remove needs_review."
        )
    return out


def convert(lines: Iterable[str], corpus_dir: Path | None = None) -> list[dict[str, Any]]:
    """Drafts for every feedback line (blank and malformed lines are skipped)."""
    drafts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("question") and record.get("rating") in ("up", "down"):
            d = draft(record, corpus_dir)
            base, n = d["id"], 1
            while d["id"] in seen:
                n += 1
                d["id"] = f"{base}-{n}"
            seen.add(d["id"])
            drafts.append(d)
    return drafts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draft gold questions from UI feedback JSONL.")
    parser.add_argument(
        "feedback", type=Path, help="the feedback file (default location: .index/feedback.jsonl)"
    )
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder, to keep passages verbatim")
    parser.add_argument("--out", type=Path, default=None, help="write drafts here (default: stdout)")
    args = parser.parse_args(argv)
    try:
        drafts = convert(args.feedback.read_text(encoding="utf-8").splitlines(), args.corpus)
    except FileNotFoundError:
        print(f"error: feedback file not found: {args.feedback}", file=sys.stderr)
        return 1
    text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    review = sum(1 for d in drafts if d.get("needs_review"))
    print(f"{len(drafts)} draft(s), {review} marked needs_review", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
