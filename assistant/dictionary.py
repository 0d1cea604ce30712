"""A German-English dictionary: which German words an English question word may stand for, and which are German words.

An English question over German articles shares few words with them ("Which party made it into the state
parliament for the first time?" against "Die AfD zog mit 7,6 Prozent erstmals in den Landtag ein."), so the
picker's word overlap (``coverage.lexical_coverage``) saw only names and the few words of the hand-made glossary
(assistant/glossary.py). The Ding dictionary (TU Chemnitz, GPL-2+, ~200,000 entries; Debian's package
``trans-de-en``, installed by ``make setup``) maps each English word to the German words it translates, e.g.
parliament -> parlament, first -> erst/erstmal, hip -> hüft. The picker and the quote's choice of sentence use it for
English questions; the verifier and the quote use its German side to tell sibling compounds ("Privatkunden" for
"Firmenkunden", assistant/compounds.py). The verifier's grounding checks keep the strict glossary (with the
dictionary they rejected more right pairs).

The file is read once per process (~2.5 s), or from a pickled table kept beside the assembled model file
(``ASSISTANT_LLM_MODEL_DIR``, ~0.05 s) that the first reading on the machine writes: ``make setup`` runs
``python -m assistant.dictionary``, so no start pays for the reading. Without the file, the picker works as
before (the start-up log says so).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import Stemmer

from assistant.text import fold

log = logging.getLogger(__name__)

_ANNOTATION = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|/[^/]*/|<[^>]*>")  # {f} [pol.] (zu etw.) /MdL/
_ENGLISH_FILLERS = frozenset(["a", "an", "the", "to", "of", "in", "on", "at", "for", "by", "with", "from", "and",
                              "or", "be", "is", "are", "was", "were", "it", "its", "sth.", "sb."])
_MAX_FORMS = 30  # German words kept per English word (a common word like "head" has hundreds of senses)


def parse(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """English stem (folded) -> German stems (folded) from lines of the Ding format ("Landtag {m} [pol.] ::
    Landtag (legislative assembly …)"; " | " separates parallel sub-entries, ";" synonyms). Only one-word
    synonyms on both sides count: a phrase names no word the question or the sentence would use alone."""
    english_stem, german_stem = Stemmer.Stemmer("english"), Stemmer.Stemmer("german")
    table: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        if line.startswith("#") or " :: " not in line:
            continue
        german, english = line.rstrip("\n").split(" :: ", 1)
        left, right = german.split(" | "), english.split(" | ")
        pairs = zip(left, right, strict=True) if len(left) == len(right) else [(left[0], right[0])]
        for de, en in pairs:
            words = [w[0] for w in (_ANNOTATION.sub(" ", s).split() for s in de.split(";"))
                     if len(w) == 1 and len(w[0]) >= 4 and w[0].isalpha()]
            forms = [fold(german_stem.stemWord(w.lower())) for w in words]
            if not forms:
                continue
            for synonym in en.split(";"):
                ws = [w for w in _ANNOTATION.sub(" ", synonym).lower().split() if w not in _ENGLISH_FILLERS]
                if len(ws) == 1 and ws[0].isalpha():
                    entry = table[fold(english_stem.stemWord(ws[0]))]
                    entry.extend(f for f in forms if f not in entry)
    return {k: tuple(v[:_MAX_FORMS]) for k, v in table.items()}


_READ: dict[str, dict[str, tuple[str, ...]]] = {}
_READ_LOCK = threading.Lock()


class Dictionary:
    """German word stems for English word stems, read from ``path`` on first use (see module docstring)."""

    def __init__(self, path: Path | None, cache_dir: Path | None = None) -> None:
        self.path = path
        self.cache_dir = cache_dir
        self._table: dict[str, tuple[str, ...]] | None = None
        self._reverse: dict[str, frozenset[str]] | None = None
        self._lock = threading.Lock()

    def forms(self, english_stem: str) -> tuple[str, ...]:
        """The German stems (folded) an English stem (folded, as ``lexical_coverage`` has it) may stand for."""
        return self.table().get(english_stem, ())

    def table(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            return self._loaded()

    def _loaded(self) -> dict[str, tuple[str, ...]]:
        """The table, read on first use; the caller holds ``self._lock``."""
        if self._table is None:
            self._table = self._load()
        return self._table

    def is_german_word(self, stem: str) -> bool:
        """Whether a German stem (folded) is a word of the dictionary."""
        return stem in self._english()

    def synonyms(self, a: str, b: str) -> bool:
        """Whether two German stems (folded) translate an English word alike ("krankenhaus", "klinik": hospital)."""
        english = self._english()
        return bool(english.get(a, frozenset()) & english.get(b, frozenset()))

    def _english(self) -> dict[str, frozenset[str]]:
        """German stem -> the English stems it translates (the table read the other way), built on first use."""
        with self._lock:
            if self._reverse is None:
                reverse: dict[str, set[str]] = defaultdict(set)
                for english, forms in self._loaded().items():
                    for form in forms:
                        reverse[form].add(english)
                self._reverse = {k: frozenset(v) for k, v in reverse.items()}
            return self._reverse

    def describe(self) -> str:
        """For the start-up log: what was loaded."""
        n = len(self.table())
        if n:  # the German side is built here too, at start-up rather than at the first German question
            return f"dictionary {self.path} ({n:,} English words, {len(self._english()):,} German)"
        where = f"at {self.path}" if self.path else "(ASSISTANT_EVIDENCE_DICTIONARY is empty)"
        return f"no dictionary {where}: English questions meet German sentences through the glossary only"

    def _load(self) -> dict[str, tuple[str, ...]]:
        if self.path is None:
            return {}
        try:
            stat = self.path.stat()
        except OSError:
            log.warning("dictionary %s not found (Debian package trans-de-en; ASSISTANT_EVIDENCE_DICTIONARY): "
                        "English questions meet German sentences through the glossary only", self.path)
            return {}
        key = hashlib.sha256(f"{self.path}|{stat.st_size}|{int(stat.st_mtime)}|{_MAX_FORMS}".encode()).hexdigest()
        with _READ_LOCK:  # one reading per process, whichever index (eval and tests build several assistants)
            if key not in _READ:
                _READ[key] = self._read(self.path, key)
            return _READ[key]

    def _read(self, path: Path, key: str) -> dict[str, tuple[str, ...]]:
        cached = self.cache_dir / f"dictionary-{key[:16]}.pickle" if self.cache_dir else None
        if cached is not None and cached.is_file():
            try:
                table = pickle.loads(cached.read_bytes())  # noqa: S301 - our own file, next to the index
                if isinstance(table, dict):
                    return table
            except (OSError, pickle.UnpicklingError, EOFError, ValueError):
                log.warning("dictionary cache %s unreadable; reading %s again", cached, path)
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                table = parse(f)
        except OSError as e:
            log.warning("cannot read the dictionary %s: %s", path, e)
            return {}
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.tmp")  # processes may write it at once
                tmp.write_bytes(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
                tmp.replace(cached)
            except OSError as e:
                log.warning("cannot keep the dictionary table in %s: %s", cached, e)
        return table


def main() -> None:
    """``python -m assistant.dictionary`` (run by ``make setup``): read the configured dictionary once and keep its
    table beside the models, then say what was read."""
    from assistant.settings import Settings

    settings = Settings()
    print(Dictionary(settings.evidence.dictionary, settings.llm.model_dir).describe())


if __name__ == "__main__":
    main()
