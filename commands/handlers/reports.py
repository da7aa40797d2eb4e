"""nps summary, churn rate, retention, segments and pareto: computed live from the data."""

from __future__ import annotations

from datetime import timedelta

from commands.request import Request
from commands.results import ChurnRates, CohortReport, NpsReport, ParetoReport, SegmentsReport
from commands.verbs import ShowChurnRate, ShowNps, ShowPareto, ShowRetention, ShowSegments
from crm_core.analytics import nps, retention, segments

# The cohort table covers at most two years of first-purchase months.
COHORT_MONTHS = 24


def nps_report(command: ShowNps, request: Request) -> NpsReport:
    end = request.actor.now
    start = end - timedelta(days=command.days)
    summary = nps.nps_summary(
        request.session, team_id=request.team_id, start=start, end=end, by=command.by
    )
    trend = nps.nps_trend(request.session, team_id=request.team_id, start=start, end=end)
    return NpsReport(summary, trend, command.days)


def churn_rate(command: ShowChurnRate, request: Request) -> ChurnRates:
    window = request.settings.analytics.active_window_days
    rows = retention.retention_rates(
        request.session,
        team_id=request.team_id,
        period=command.period,
        periods=12 if command.period == "month" else 8,
        now=request.actor.now,
        active_window_days=window,
    )
    return ChurnRates(rows, command.period, window)


def retention_report(command: ShowRetention, request: Request) -> ChurnRates | CohortReport:
    if command.cohorts:
        months = retention.months_of_history(
            request.session, team_id=request.team_id, now=request.actor.now
        )
        table = retention.cohort_retention(
            request.session,
            team_id=request.team_id,
            months=min(max(months, 1), COHORT_MONTHS),
            now=request.actor.now,
        )
        return CohortReport(table)
    return churn_rate(ShowChurnRate("month"), request)


def segments_report(command: ShowSegments, request: Request) -> SegmentsReport:
    return SegmentsReport(
        segments.segment_summary(request.session, team_id=request.team_id, now=request.actor.now)
    )


def pareto_report(command: ShowPareto, request: Request) -> ParetoReport:
    return ParetoReport(segments.pareto_share(request.session, team_id=request.team_id))
