"""nps summary, churn rate, retention, segments and pareto: computed live from the data."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from commands.request import Request
from commands.results import ChurnRates, CohortReport, NpsReport, ParetoReport, SegmentsReport
from commands.verbs import ShowChurnRate, ShowNps, ShowPareto, ShowRetention, ShowSegments
from crm_core.analytics import nps, retention, segments

# The cohort table covers at most two years of first-purchase months.
COHORT_MONTHS = 24


def nps_report(command: ShowNps, request: Request) -> NpsReport:
    end = request.actor.now
    start = end - timedelta(days=command.days)
    if command.period:
        start, end = calendar_period(*command.period, now=request.actor.local_now)
    summary = nps.nps_summary(
        request.session, team_id=request.team_id, start=start, end=end, by=command.by
    )
    trend = nps.nps_trend(
        request.session, team_id=request.team_id, start=start, end=end, zone=workspace_zone(request)
    )
    if not command.period:
        return NpsReport(summary, trend, command.days)
    days = max(1, (end - start).days)
    return NpsReport(summary, trend, days, " ".join(command.period), start)


def calendar_period(which: str, unit: str, *, now: datetime) -> tuple[datetime, datetime]:
    """The start and end of this (to now) or the last whole month, quarter or year, in the
    asker's time zone."""
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    first_month = (now.month - 1) // months * months + 1
    start = now.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    if which == "this":
        return start, now
    previous = start - relativedelta(months=months)
    return previous.replace(tzinfo=now.tzinfo), start


def workspace_zone(request: Request) -> ZoneInfo:
    """The workspace's time zone (settings.default_timezone): its months are the report's."""
    return ZoneInfo(request.settings.default_timezone)


def churn_rate(command: ShowChurnRate, request: Request) -> ChurnRates:
    window = request.settings.analytics.active_window_days
    rows = retention.retention_rates(
        request.session,
        team_id=request.team_id,
        period=command.period,
        periods=12 if command.period == "month" else 8,
        now=request.actor.now,
        active_window_days=window,
        active_means=request.settings.analytics.active_means,
        zone=workspace_zone(request),
    )
    return ChurnRates(rows, command.period, window, request.settings.analytics.active_means)


def retention_report(command: ShowRetention, request: Request) -> ChurnRates | CohortReport:
    if command.cohorts:
        zone = workspace_zone(request)
        months = retention.months_of_history(
            request.session, team_id=request.team_id, now=request.actor.now, zone=zone
        )
        table = retention.cohort_retention(
            request.session,
            team_id=request.team_id,
            months=min(max(months, 1), COHORT_MONTHS),
            now=request.actor.now,
            zone=zone,
        )
        return CohortReport(table)
    return churn_rate(ShowChurnRate("month"), request)


def segments_report(command: ShowSegments, request: Request) -> SegmentsReport:
    return SegmentsReport(
        segments.segment_summary(request.session, team_id=request.team_id, now=request.actor.now)
    )


def pareto_report(command: ShowPareto, request: Request) -> ParetoReport:
    return ParetoReport(segments.pareto_share(request.session, team_id=request.team_id))
