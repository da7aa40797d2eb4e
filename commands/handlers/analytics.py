"""clv, churn and cac: answered from stored scores, refreshed first only where waiting is fine.

A Slack request must be answered within 3 seconds, so it never fits a model: it reads the
scores of the last refresh and says how fresh they are. The console (and `crm analytics
refresh`, and the bot's scheduler) refresh when purchases arrived after the last fit.
"""

from __future__ import annotations

from datetime import UTC

from commands import people
from commands.request import Request
from commands.results import (
    AnalyticsStatus,
    CacTable,
    ChurnList,
    ClvOne,
    ClvTop,
    ModelCheckReport,
    Problem,
)
from commands.verbs import CheckClvModels, ShowCac, ShowChurnRisk, ShowClv
from crm_core import customers
from crm_core.analytics import acquisition, intervals, values
from crm_core.analytics.scoring import HISTORIC, NotEnoughData, freshness, refresh_scores
from crm_core.customer360 import customer_360


def scores_status(request: Request) -> AnalyticsStatus | Problem:
    """The scores to answer from, refreshing them first when the front end can wait."""
    session, actor = request.session, request.actor
    current = freshness(session, team_id=actor.team_id)
    if (current.fit is None or current.stale) and actor.source != "slack":
        try:
            fit = refresh_scores(
                session, team_id=actor.team_id, settings=request.settings.analytics, now=actor.now
            )
        except NotEnoughData as exc:
            return Problem(f"not enough data for CLV or churn: {exc}")
        return AnalyticsStatus(fit, stale=False)
    if current.fit is None:
        return Problem(
            "the scores have not been computed yet; they are refreshed in the background "
            "(or run `crm analytics refresh`). Try again in a minute."
        )
    return AnalyticsStatus(current.fit, stale=current.stale)


def clv(command: ShowClv, request: Request) -> ClvTop | ClvOne | Problem:
    status = scores_status(request)
    if isinstance(status, Problem):
        return status
    team_id = request.team_id
    if command.customer:
        customer = customers.resolve_customer(
            request.session, team_id=team_id, text=command.customer
        )
        value = values.customer_value(request.session, team_id=team_id, customer_id=customer.id)
        card = customer_360(request.session, team_id=team_id, customer_id=customer.id)
        found = intervals.stored_customer_intervals(
            request.session, team_id=team_id, customer_ids=[customer.id]
        )
        return ClvOne(card, value, status, interval=found.get(customer.id))
    owner = _owner_id(command.owner, request)
    top = values.top_by_clv(
        request.session,
        team_id=team_id,
        limit=command.top,
        segment=command.segment,
        owner_user_id=owner,
    )
    threshold = request.settings.analytics.churn_risk_threshold
    totals = values.value_totals(
        request.session, team_id=team_id, alive_threshold=threshold, fit=status.fit
    )
    distribution = None
    if request.actor.wants_chart:
        distribution = values.all_clv(request.session, team_id=team_id)
    found = intervals.stored_customer_intervals(
        request.session, team_id=team_id, customer_ids=[value.customer_id for value in top]
    )
    return ClvTop(
        top,
        totals,
        status,
        segment=command.segment,
        owner_user_id=owner,
        distribution=distribution,
        intervals=found,
    )


def clv_check(command: CheckClvModels, request: Request) -> ModelCheckReport | Problem:
    """Fit the candidates on all but the last weeks and compare with what happened."""
    from crm_core.analytics.model_check import NotEnoughHistory, check_models

    try:
        check = check_models(
            request.session,
            team_id=request.team_id,
            unit=request.settings.analytics.time_unit,
            holdout_weeks=command.holdout_weeks,
            today=request.actor.now.astimezone(UTC).date(),
        )
    except NotEnoughHistory as exc:
        return Problem(f"not enough history for a model check: {exc}")
    return ModelCheckReport(check)


def churn(command: ShowChurnRisk, request: Request) -> ChurnList | Problem:
    status = scores_status(request)
    if isinstance(status, Problem):
        return status
    threshold = request.settings.analytics.churn_risk_threshold
    if status.fit.method == HISTORIC:
        return Problem(
            f"not enough data for churn risk: {status.fit.reason}. Here is what I can say: "
            "`followups overdue` and `retention` still work, and `clv` uses the historic formula."
        )
    items = values.at_risk(
        request.session,
        fit=status.fit,
        alive_threshold=threshold,
        limit=command.top,
        now=request.actor.now,
        owner_user_id=(owner := _owner_id(command.owner, request)),
        segment=command.segment,
    )
    totals = values.value_totals(
        request.session, team_id=request.team_id, alive_threshold=threshold, fit=status.fit
    )
    return ChurnList(items, totals, status, threshold, owner, command.segment)


def cac(command: ShowCac, request: Request) -> CacTable:
    status = scores_status(request)
    rows = acquisition.acquisition_by_channel(request.session, team_id=request.team_id)
    return CacTable(rows, status if isinstance(status, AnalyticsStatus) else None)


def _owner_id(owner: str | None, request: Request) -> str | None:
    """`me` is the asker; otherwise the person named."""
    return people.person(request, owner) if owner else None
