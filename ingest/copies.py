"""Agency copies at ingest: an article that repeats most of another one's text joins that article's story.

A story is what several outlets print from one dpa, Reuters or AFP text (small edits, another title), and
the later, longer versions of one report. Each article's MinHash signature (``ingest/minhash.py``) is kept in
its registry record. When articles are ingested, the signatures already stored are loaded into per-band
sorted arrays (the LSH buckets: a binary search per band finds the articles sharing a band key), so a new
article is compared with those candidates only, never with the whole archive. A candidate is a copy when
the estimated share of the shorter text found in the other one (containment) reaches ``min_containment``
and, when both are dated, their dates are at most ``window_days`` apart. The new article joins the story
of its best match; a match that stood alone starts a new story with it. Nothing is ever deleted or merged:
``assistant/copies.py`` decides at query time which member is shown.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from assistant.filters import date_bounds
from assistant.models import Article
from assistant.store import Store
from ingest.minhash import MinHasher, Signature, containment, words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CopyPolicy:
    """When two articles count as copies of one story."""

    min_containment: float = 0.5
    window_days: int | None = 3  # None: dates are not compared
    min_words: int = 40  # shorter texts (briefs, captions) are too generic to call copies


@dataclass
class Match:
    doc_id: str
    containment: float
    story_id: str | None


@dataclass
class _Entry:
    signature: Signature
    date: str | None
    story_id: str | None


@dataclass
class CopyIndex:
    """The signatures of one index in memory: the stored ones in sorted band arrays, this run's in a dict."""

    hasher: MinHasher
    policy: CopyPolicy
    entries: dict[str, _Entry] = field(default_factory=dict)
    _ids: list[str] = field(default_factory=list)
    _keys: np.ndarray | None = None  # (bands, n) sorted band keys
    _order: np.ndarray | None = None  # (bands, n) positions into _ids
    _recent: dict[int, dict[int, list[str]]] = field(default_factory=dict)  # band -> key -> doc ids
    pending: dict[str, str | None] = field(default_factory=dict)  # story labels of stored articles to write
    comparisons: int = 0

    def freeze(self) -> None:
        """Sort the band keys of every entry so far (called once, after loading the stored signatures)."""
        self._ids = list(self.entries)
        if not self._ids:
            return
        keys = np.stack([self.hasher.band_keys(self.entries[i].signature) for i in self._ids], axis=1)
        self._order = np.argsort(keys, axis=1, kind="stable")
        self._keys = np.take_along_axis(keys, self._order, axis=1)

    def add(self, doc_id: str, sig: Signature, date_: str | None, story_id: str | None) -> None:
        self.entries[doc_id] = _Entry(sig, date_, story_id)
        for b, k in enumerate(self.hasher.band_keys(sig).tolist()):
            self._recent.setdefault(b, {}).setdefault(k, []).append(doc_id)

    def remove(self, doc_id: str) -> None:
        """Forget an article (it is re-ingested with new text, or deleted)."""
        self.entries.pop(doc_id, None)

    def set_story(self, doc_id: str, story_id: str | None) -> None:
        if doc_id in self.entries:
            self.entries[doc_id].story_id = story_id

    def candidates(self, sig: Signature) -> set[str]:
        """The articles sharing at least one band key with ``sig``."""
        keys = self.hasher.band_keys(sig)
        found: set[str] = set()
        if self._keys is not None and self._order is not None:
            for b, k in enumerate(keys):
                row = self._keys[b]
                lo = int(np.searchsorted(row, k, side="left"))
                hi = int(np.searchsorted(row, k, side="right"))
                found.update(self._ids[j] for j in self._order[b, lo:hi].tolist())
        for b, k in enumerate(keys.tolist()):
            found.update(self._recent.get(b, {}).get(k, ()))
        return {d for d in found if d in self.entries}

    def best_match(self, sig: Signature, date_: str | None, exclude: str | None = None) -> Match | None:
        """The candidate with the highest containment that passes the policy, or None."""
        best: Match | None = None
        for d in sorted(self.candidates(sig)):
            if d == exclude:
                continue
            entry = self.entries[d]
            self.comparisons += 1
            c = containment(sig, entry.signature)
            if c < self.policy.min_containment or not within_window(date_, entry.date, self.policy.window_days):
                continue
            if best is None or c > best.containment:
                best = Match(d, c, entry.story_id)
        return best


def within_window(a: str | None, b: str | None, days: int | None) -> bool:
    """Whether two (partial) ISO dates can be at most ``days`` apart; an undated article is not judged."""
    if days is None:
        return True
    ra, rb = date_bounds(a), date_bounds(b)
    if ra is None or rb is None:
        return True
    lo_a, hi_a = (_day(x) for x in ra)
    lo_b, hi_b = (_day(x) for x in rb)
    gap = max(lo_a - hi_b, lo_b - hi_a, 0)
    return gap <= days


def _day(yyyymmdd: int) -> int:
    return date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100).toordinal()


class CopyDetector:
    """Assigns stories to articles as they are ingested (see module docstring)."""

    def __init__(self, hasher: MinHasher | None = None, policy: CopyPolicy | None = None) -> None:
        self.hasher = hasher or MinHasher()
        self.policy = policy or CopyPolicy()

    def needs_load(self, registered: Mapping[str, Mapping[str, Any]]) -> bool:
        """Whether ``load`` has work to do even when nothing is ingested: an article without a signature of
        this hasher's version, or a first printing whose story label an interrupted ingest did not write."""
        return any(m.get("minhash_v") != self.hasher.version
                   or (m.get("copy_of") and m.get("story_id")
                       and not (registered.get(str(m["copy_of"])) or {"story_id": 1}).get("story_id"))
                   for m in registered.values())

    def load(self, store: Store, registered: Mapping[str, Mapping[str, Any]]) -> CopyIndex:
        """The index of the stored signatures. Registered articles without a signature of this hasher's
        version (an index built before, or with detection off) are signed now and get their stories, oldest
        first, as if they arrived in that order. An article that a stored copy matched but whose story label
        was not written (an ingest interrupted before ``flush``) gets it now."""
        index = CopyIndex(self.hasher, self.policy)
        unsigned = []
        for doc_id, meta in registered.items():
            if meta.get("minhash_v") == self.hasher.version and meta.get("minhash"):
                sig = Signature.decode(str(meta["minhash"]), int(meta.get("shingles", 0)))
                index.entries[doc_id] = _Entry(sig, meta.get("date"), meta.get("story_id"))
            else:
                unsigned.append(doc_id)
        index.freeze()
        for doc_id, meta in registered.items():
            first = meta.get("copy_of")
            entry, found = index.entries.get(doc_id), index.entries.get(str(first))
            if entry and entry.story_id and found and found.story_id is None \
                    and containment(entry.signature, found.signature) >= self.policy.min_containment:
                found.story_id = index.pending[str(first)] = entry.story_id
        if unsigned:
            self._backfill(store, registered, unsigned, index)
        return index

    def _backfill(self, store: Store, registered: Mapping[str, Mapping[str, Any]], unsigned: list[str],
                  index: CopyIndex) -> None:
        log.info("signing %d articles for copy detection", len(unsigned))
        unsigned.sort(key=lambda d: ((date_bounds(registered[d].get("date")) or (0, 0))[0], d))
        fields: dict[str, dict[str, Any]] = {}
        for doc_id in unsigned:
            found = store.document_text(doc_id)
            if found is None:
                continue
            info, text = found
            sig = self.hasher.signature(text)
            story, first = registered[doc_id].get("story_id"), None
            if story is None and len(words(text)) >= self.policy.min_words:
                story, first = self.join(index, doc_id, sig, info.date)
                if story:
                    index.pending[doc_id] = story
            fields[doc_id] = {k: v for k, v in self.fields(sig, text, None, first).items() if v is not None}
            index.add(doc_id, sig, info.date, story)
        store.set_registry_fields(fields)

    def fields(self, sig: Signature, text: str, story_id: str | None, copy_of: str | None) -> dict[str, Any]:
        """The registry fields of an article: its signature, its length, its story, the copy it matched."""
        return {"minhash": sig.encode(), "minhash_v": self.hasher.version, "shingles": sig.shingles,
                "words": len(text.split()), "story_id": story_id, "copy_of": copy_of}

    def join(self, index: CopyIndex, doc_id: str, sig: Signature, date_: str | None) -> tuple[str | None, str | None]:
        """(The story ``doc_id`` belongs to, the article it matched), or (None, None). A match standing alone
        starts a new story; its label is written by ``flush`` (one batch per run)."""
        match = index.best_match(sig, date_, exclude=doc_id)
        if match is None:
            return None, None
        if match.story_id:
            return match.story_id, match.doc_id
        story = "st-" + uuid.uuid4().hex[:12]
        index.set_story(match.doc_id, story)
        index.pending[match.doc_id] = story
        return story, match.doc_id

    def sign(self, article: Article) -> Signature:
        """The article's signature (the ingest's read stage computes it, next to the BM25 tokens)."""
        return self.hasher.signature(article.text)

    def assign(self, index: CopyIndex, article: Article, sig: Signature | None = None) -> dict[str, Any]:
        """Decide the story of ``article`` (new, or changed) before it is stored, and record it in the index, so
        that the articles after it (in the same write too) are compared with it; returns its registry fields.
        Call ``stored`` once it is stored."""
        index.remove(article.doc_id)
        index.pending.pop(article.doc_id, None)  # its own fields carry its story now
        sig = sig or self.sign(article)
        story = first = None
        if len(words(article.text)) >= self.policy.min_words:
            story, first = self.join(index, article.doc_id, sig, article.date)
        index.add(article.doc_id, sig, article.date, story)
        return self.fields(sig, article.text, story, first)

    def stored(self, store: Store, index: CopyIndex, story: str | None, old_story: str | None) -> None:
        """After an article assigned ``story`` is stored: a changed article that left its story may leave a story
        of one behind, which then stands alone."""
        if old_story and old_story != story:
            self.flush(store, index)  # the story's members as they are now, before counting them
            store.leave_story(old_story)
            left = [d for d, e in index.entries.items() if e.story_id == old_story]
            if len(left) == 1:
                index.set_story(left[0], None)

    @staticmethod
    def flush(store: Store, index: CopyIndex) -> None:
        """Write the story labels of stored articles that a later article matched."""
        if index.pending:
            store.set_stories(dict(index.pending))
            index.pending.clear()
