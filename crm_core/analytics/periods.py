"""Calendar months and quarters in a time zone, and the SQL that puts a timestamp in its month.

Periods are half-open, [start, end): a period's end is the next period's start, so a moment
belongs to exactly one period. Months are numbered as `year * 12 + month - 1` both in Python
and in SQL, so the database groups by a plain integer and Python turns it back into a date.

Months are the workspace's calendar months (settings.default_timezone): a purchase at 23:30
on 31 March in New York is a March purchase, though it is April in UTC. The zone defaults
to UTC. Start and end of a period are UTC instants (local midnight of the 1st, in UTC), so
they compare directly with the stored timestamps; `local_month_index` does the same in SQL,
on both backends, with a CASE over those instants (SQLite knows no time zones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Integer, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from crm_core.errors import InvalidInput

PERIODS = ("month", "quarter")
_MONTHS_IN = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class Period:
    """One calendar month or quarter, [start, end) in UTC instants, labelled "2026-03"/"2026-Q1"."""

    label: str
    start: datetime
    end: datetime


def require_aware(name: str, moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is refused, since its zone would be a guess."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def require_period(period: str) -> str:
    """The period name if it is one we know, else InvalidInput listing the allowed ones."""
    if period not in PERIODS:
        raise InvalidInput(f"period {period!r} is not allowed; use one of: {', '.join(PERIODS)}")
    return period


def month_index(moment: datetime, zone: tzinfo = UTC) -> int:
    """The month of a moment in `zone` as `year * 12 + month - 1` (`local_month_index` in SQL)."""
    moment = moment.astimezone(zone)
    return moment.year * 12 + moment.month - 1


def month_from_index(index: int, zone: tzinfo = UTC) -> datetime:
    """The first instant of the month numbered `index` in `zone` (local midnight), in UTC."""
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone).astimezone(UTC)


def month_label(index: int) -> str:
    """ "2026-03" for the month numbered `index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of(moment: datetime, period: str, zone: tzinfo = UTC) -> Period:
    """The calendar month or quarter (in `zone`) that contains `moment`."""
    size = _MONTHS_IN[require_period(period)]
    first = month_index(moment, zone) // size * size
    return _period(first, period, zone)


def periods_before(
    moment: datetime, *, period: str, count: int, zone: tzinfo = UTC
) -> list[Period]:
    """The `count` complete periods just before the one containing `moment`, oldest first."""
    size = _MONTHS_IN[require_period(period)]
    current = month_index(period_of(moment, period, zone).start, zone)
    return [_period(current - size * back, period, zone) for back in range(count, 0, -1)]


def months_overlapping(start: datetime, end: datetime, zone: tzinfo = UTC) -> list[Period]:
    """Every calendar month (in `zone`) that shares an instant with [start, end), oldest first."""
    if end <= start:
        return []
    first, last = month_index(start, zone), month_index(end, zone)
    if end <= month_from_index(last, zone):
        last -= 1
    return [_period(index, "month", zone) for index in range(first, last + 1)]


def _period(first_month: int, period: str, zone: tzinfo = UTC) -> Period:
    size = _MONTHS_IN[period]
    if period == "month":
        label = month_label(first_month)
    else:
        label = f"{first_month // 12:04d}-Q{first_month % 12 // 3 + 1}"
    return Period(
        label, month_from_index(first_month, zone), month_from_index(first_month + size, zone)
    )


def local_month_index(column: Any, *, zone: tzinfo, first: int, last: int) -> Any:
    """SQL: the month (in `zone`) of a timestamp column, numbered like `month_index`.

    Exact for months `first`..`last`; anything earlier is `first - 1` and anything later
    `last + 1`. A CASE over the months' first instants in UTC, so DST and the backend's own
    session time zone play no part.
    """
    whens = [
        (column < month_from_index(index + 1, zone), index) for index in range(first, last + 1)
    ]
    return case((column < month_from_index(first, zone), first - 1), *whens, else_=last + 1)


class utc_month_index(FunctionElement[int]):  # noqa: N801 - named like the SQL functions it joins
    """SQL: the UTC month of a timestamp column as `year * 12 + month - 1` (an integer).

    SQLite stores our timestamps as naive UTC text, read with strftime. PostgreSQL stores
    timestamptz, whose EXTRACT follows the session's TimeZone, so the value is first moved
    to UTC with AT TIME ZONE.
    """

    type = Integer()
    inherit_cache = True
    name = "utc_month_index"


@compiles(utc_month_index, "sqlite")
def _month_index_sqlite(element: utc_month_index, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    year, month = f"strftime('%Y', {column})", f"strftime('%m', {column})"
    return f"(CAST({year} AS INTEGER) * 12 + CAST({month} AS INTEGER) - 1)"


@compiles(utc_month_index, "postgresql")
def _month_index_postgresql(element: utc_month_index, compiler: Any, **kw: Any) -> str:
    utc = f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')"
    return f"(CAST(EXTRACT(YEAR FROM {utc}) * 12 + EXTRACT(MONTH FROM {utc}) - 1 AS INTEGER))"


@compiles(utc_month_index)
def _month_index_default(element: utc_month_index, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(EXTRACT(YEAR FROM {column}) * 12 + EXTRACT(MONTH FROM {column}) - 1)"
