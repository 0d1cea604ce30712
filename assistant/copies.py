"""Copies of one story at query time: one printing per story in the results, the others as ``also_in``.

Ingest (``ingest/copies.py``) gives the articles that print the same story - an agency text in several
outlets, or an updated, longer version - one ``story_id`` in the registry and in their chunks. Which copy
is shown is decided here, from the members' registry records, so that it can never go stale: the fullest
version, i.e. among the members at most 5 % shorter than the longest one the newest (then the longest, then
the smallest doc id). A later, longer version of a story is therefore shown, while a newspaper's print of
an agency text on the next day does not push the agency's own updated version aside. Deleting the shown
article makes the next one shown without any rewrite.

Retrieval keeps, per story, the passages of one member: the canonical copy when one of its passages scores
within ``margin`` of the story's best passage, else the member with the best passage (e.g. the only one an
outlet filter lets through). Every kept passage lists the other members in ``also_in``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assistant.filters import date_bounds
from assistant.models import AlsoIn, Passage

Members = Callable[[list[str]], Mapping[str, Sequence[Mapping[str, Any]]]]


FULL = 0.95  # a member this close to the longest one's length counts as a full version


def canonical(members: Sequence[Mapping[str, Any]]) -> str:
    """The doc id of the copy to show: of the full versions (at least 95 % of the longest one's words) the
    newest, then the longest, then the smallest doc id."""
    longest = max(int(m.get("words", 0) or 0) for m in members)
    full = [m for m in members if int(m.get("words", 0) or 0) >= FULL * longest]

    def key(m: Mapping[str, Any]) -> tuple[int, int, str]:
        bounds = date_bounds(m.get("date"))
        return (-(bounds[0] if bounds else 0), -int(m.get("words", 0) or 0), str(m["doc_id"]))

    return str(min(full, key=key)["doc_id"])


def also_in(members: Sequence[Mapping[str, Any]], shown: str) -> list[AlsoIn]:
    """The members other than ``shown``, newest first (then by source)."""
    others = [m for m in members if m["doc_id"] != shown]
    others.sort(key=lambda m: (-(date_bounds(m.get("date")) or (0, 0))[0], str(m.get("source", ""))))
    return [AlsoIn(doc_id=str(m["doc_id"]), source=str(m.get("source", "")), title=str(m.get("title", "")),
                   outlet=m.get("outlet"), date=m.get("date")) for m in others]


def collapse(passages: list[Passage], members_of: Members, margin: float = 0.03) -> list[Passage]:
    """``passages`` (best first) with the passages of all but one member of each story removed; the kept
    ones carry ``also_in``. Passages of articles on their own pass unchanged (and cost no lookup)."""
    stories = sorted({p.story_id for p in passages if p.story_id})
    if not stories:
        return passages
    members = members_of(stories)
    shown: dict[str, str] = {}
    for sid in stories:
        group = [p for p in passages if p.story_id == sid]
        best = max(p.score for p in group)
        known = members.get(sid) or []
        if len(known) < 2:
            continue  # a story with one member left (the others deleted): nothing to collapse
        canon = canonical(known)
        if any(p.doc_id == canon and p.score >= best - margin for p in group):
            shown[sid] = canon
        else:
            shown[sid] = max(group, key=lambda p: (p.score, p.chunk_id)).doc_id
    out = []
    for p in passages:
        story = p.story_id
        if story is None or story not in shown:
            out.append(p)
        elif p.doc_id == shown[story]:
            out.append(p.model_copy(update={"also_in": also_in(members[story], p.doc_id)}))
    return out
