"""Retrieval filters: one definition, applied both as a Chroma ``where`` and in Python (BM25 side)."""

from __future__ import annotations

import calendar
from typing import Any

from assistant.models import Filters


def date_bounds(date: str | None) -> tuple[int, int] | None:
    """An ISO (partial) date as an inclusive range of yyyymmdd integers: '2018-06' -> (20180601, 20180630)."""
    if not date:
        return None
    parts = date.split("-")
    try:
        y = int(parts[0])
        if len(parts) == 1:
            return y * 10000 + 101, y * 10000 + 1231
        m = int(parts[1])
        if len(parts) == 2:
            last = calendar.monthrange(y, m)[1]
            return y * 10000 + m * 100 + 1, y * 10000 + m * 100 + last
        d = int(parts[2])
        return (y * 10000 + m * 100 + d,) * 2
    except (ValueError, IndexError, calendar.IllegalMonthError):
        return None


def to_where(f: Filters | None) -> dict[str, Any] | None:
    """The Chroma ``where`` clause for the filters (None when unfiltered)."""
    if f is None or f.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if f.outlet:
        clauses.append({"outlet_key": {"$in": [o.lower() for o in f.outlet]}})
    if f.source:
        clauses.append({"source": {"$in": list(f.source)}})
    if f.language:
        clauses.append({"language": {"$in": list(f.language)}})
    lo = date_bounds(f.date_from)
    hi = date_bounds(f.date_to)
    if lo:
        clauses.append({"date_hi": {"$gte": lo[0]}})
    if hi:
        clauses.append({"date_lo": {"$lte": hi[1]}})
    if not clauses:  # Chroma refuses an empty $and; nothing to filter on
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(meta: dict[str, Any], f: Filters | None) -> bool:
    """The same test as ``to_where`` on one chunk's metadata."""
    if f is None or f.is_empty():
        return True
    if f.outlet and meta.get("outlet_key") not in {o.lower() for o in f.outlet}:
        return False
    if f.source and meta.get("source") not in set(f.source):
        return False
    if f.language and meta.get("language") not in set(f.language):
        return False
    lo = date_bounds(f.date_from)
    hi = date_bounds(f.date_to)
    if lo and not ("date_hi" in meta and meta["date_hi"] >= lo[0]):
        return False
    return not (hi and not ("date_lo" in meta and meta["date_lo"] <= hi[1]))
