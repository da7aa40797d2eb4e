"""Net Promoter Score over a window, by segment or owner and month by month, with a 95% interval.

NPS = 100 * (promoters - detractors) / responses, where promoters answered 9-10, passives
7-8 and detractors 0-6 (Reichheld, "The One Number You Need to Grow", HBR 2003). The
counting is done by the database (one GROUP BY); only the few group totals reach Python.

The 95% interval follows MeasuringU (Sauro & Lewis, "Confidence Intervals for Net Promoter
Scores", measuringu.com/nps-confidence-intervals, 2021, after Rocks, "Interval Estimation for
the 'Net Promoter Score'", The American Statistician 70(4), 2016), on the -100..100 scale:

- adjusted-Wald, used below `SMALL_SAMPLE` responses: n' = n + 3, p' = (promoters + 0.75)/n',
  d' = (detractors + 0.75)/n' (3 is about 3/4 of z^2 for 95%), NPS' = p' - d',
  Var = p' + d' - (p' - d')^2, interval = NPS' +/- z * sqrt(Var / n');
- Wald otherwise: p = promoters/n, d = detractors/n, Var = p + d - (p - d)^2,
  interval = (p - d) +/- z * sqrt(Var / n), around the observed score.

z = 1.959964 (the 97.5th normal percentile); both ends are clipped to [-100, 100].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from math import sqrt
from statistics import NormalDist

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from crm_core.analytics.periods import (
    local_month_index,
    month_index,
    month_label,
    months_overlapping,
    require_aware,
)
from crm_core.errors import InvalidInput
from crm_core.models import Customer, NpsResponse

# Under this many responses the adjusted-Wald interval is used; MeasuringU and Rocks (2016)
# find plain Wald too narrow (it covers less than 95%) for small samples.
SMALL_SAMPLE = 100
Z_95 = NormalDist().inv_cdf(0.975)
GROUPINGS = ("segment", "owner")
ADJUSTED_WALD, WALD = "adjusted-wald", "wald"


@dataclass(frozen=True)
class NpsScore:
    """Counts, score (-100..100) and 95% interval of one group; score None without responses."""

    group: str | None
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    low: float | None
    high: float | None
    method: str | None  # "adjusted-wald" or "wald"; None without responses


@dataclass(frozen=True)
class NpsSummary:
    """NPS over [start, end): everyone together, and per segment or owner when asked.

    Groups come most answers first, the one without a segment or owner (group None) last.
    """

    start: datetime
    end: datetime
    by: str | None
    overall: NpsScore
    groups: tuple[NpsScore, ...]


@dataclass(frozen=True)
class NpsMonth:
    """NPS of one calendar month (the workspace's); `nps.group` is the month label too."""

    month: str
    start: datetime
    nps: NpsScore


def nps_score(
    *, promoters: int, passives: int, detractors: int, group: str | None = None
) -> NpsScore:
    """Score and 95% interval from the counts (see the module docstring for the formulas)."""
    n = promoters + passives + detractors
    if n == 0:
        return NpsScore(group, 0, 0, 0, 0, None, None, None, None)
    score = 100 * (promoters - detractors) / n
    if n < SMALL_SAMPLE:
        method, size = ADJUSTED_WALD, n + 3
        p, d = (promoters + 0.75) / size, (detractors + 0.75) / size
    else:
        method, size = WALD, n
        p, d = promoters / n, detractors / n
    centre = p - d
    margin = Z_95 * sqrt(max(p + d - centre**2, 0.0) / size)
    low, high = max(-100.0, 100 * (centre - margin)), min(100.0, 100 * (centre + margin))
    return NpsScore(group, n, promoters, passives, detractors, score, low, high, method)


def nps_summary(
    session: Session, *, team_id: str, start: datetime, end: datetime, by: str | None = None
) -> NpsSummary:
    """NPS of the answers given in [start, end), overall and by "segment" or "owner"."""
    start, end = _window(start, end)
    if by is not None and by not in GROUPINGS:
        raise InvalidInput(f"NPS can be grouped by {' or '.join(GROUPINGS)}, not {by!r}")
    key = {"segment": Customer.segment, "owner": Customer.owner_user_id}.get(by or "")
    if key is None:
        n, p, d = session.exec(select(*_counted()).where(*_scope(team_id, start, end))).one()
        return NpsSummary(start, end, None, _score(None, n, p, d), ())
    stmt = (
        select(key, *_counted())
        .join(Customer, col(Customer.id) == col(NpsResponse.customer_id))
        .where(*_scope(team_id, start, end), Customer.team_id == team_id)
        .group_by(key)
    )
    groups = tuple(
        sorted(
            (_score(group, n, p, d) for group, n, p, d in session.exec(stmt).all()),
            key=lambda g: (g.group is None, -g.responses, g.group or ""),
        )
    )
    overall = nps_score(
        promoters=sum(g.promoters for g in groups),
        passives=sum(g.passives for g in groups),
        detractors=sum(g.detractors for g in groups),
    )
    return NpsSummary(start, end, by, overall, groups)


def nps_trend(
    session: Session, *, team_id: str, start: datetime, end: datetime, zone: tzinfo = UTC
) -> list[NpsMonth]:
    """NPS of each calendar month (in the workspace's `zone`) overlapping [start, end),
    empty months included."""
    start, end = _window(start, end)
    overlapping = months_overlapping(start, end, zone)
    if not overlapping:
        return []
    first, last = month_index(overlapping[0].start, zone), month_index(overlapping[-1].start, zone)
    month = local_month_index(NpsResponse.responded_at, zone=zone, first=first, last=last)
    rows = session.exec(
        select(month, *_counted()).where(*_scope(team_id, start, end)).group_by(month)
    ).all()
    counts = {int(index): (n, p, d) for index, n, p, d in rows}
    trend = []
    for period in overlapping:
        index = month_index(period.start, zone)
        n, p, d = counts.get(index, (0, 0, 0))
        trend.append(NpsMonth(period.label, period.start, _score(month_label(index), n, p, d)))
    return trend


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = require_aware("start", start), require_aware("end", end)
    if end < start:
        raise InvalidInput(f"the window ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    return start, end


def _counted():
    # Responses, promoters (9-10), detractors (0-6): passives are the rest.
    score = col(NpsResponse.score)
    return (
        func.count(),
        func.coalesce(func.sum(case((score >= 9, 1), else_=0)), 0),
        func.coalesce(func.sum(case((score <= 6, 1), else_=0)), 0),
    )


def _scope(team_id: str, start: datetime, end: datetime):
    answered = col(NpsResponse.responded_at)
    return (NpsResponse.team_id == team_id, answered >= start, answered < end)


def _score(group: str | None, n: int, promoters: int, detractors: int) -> NpsScore:
    n, promoters, detractors = int(n), int(promoters), int(detractors)
    return nps_score(
        promoters=promoters, passives=n - promoters - detractors, detractors=detractors, group=group
    )
