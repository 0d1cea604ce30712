"""Dates as ISO strings at their precision (2018, 2018-06, 2018-06-12): bounds, neighbouring periods, arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from assistant.filters import date_bounds


def iso(d: date, precision: str) -> str:
    """``d`` as an ISO date at ``precision`` (year, month or day): 2018, 2018-06 or 2018-06-12."""
    return {"year": f"{d.year:04d}", "month": f"{d.year:04d}-{d.month:02d}"}.get(precision, d.isoformat())


def precision_of(value: str) -> str:
    return ("year", "month", "day")[value.count("-")]


def _first_day(value: str) -> date:
    lo = date_bounds(value)
    assert lo is not None
    return date(lo[0] // 10000, lo[0] // 100 % 100, lo[0] % 100)


def _last_day(value: str) -> date:
    hi = date_bounds(value)
    assert hi is not None
    return date(hi[1] // 10000, hi[1] // 100 % 100, hi[1] % 100)


def previous(value: str) -> str:
    """The period just before ``value`` at its precision: 2018 -> 2017, 2019-03 -> 2019-02."""
    return iso(_first_day(value) - timedelta(days=1), precision_of(value))


def following(value: str) -> str:
    """The period just after ``value`` at its precision: 2019 -> 2020, 2019-03 -> 2019-04."""
    return iso(_last_day(value) + timedelta(days=1), precision_of(value))


def from_bound(value: int) -> str:
    """A yyyymmdd integer as an ISO day."""
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


def months_back(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def years_back(d: date, n: int) -> date:
    return months_back(d, 12 * n)


def valid_day(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def valid_month(y: int, m: int) -> str | None:
    return f"{y:04d}-{m:02d}" if 1 <= m <= 12 else None


def lower_bound(value: str) -> int:
    b = date_bounds(value)
    return b[0] if b else 0


def upper_bound(value: str) -> int:
    b = date_bounds(value)
    return b[1] if b else 0
