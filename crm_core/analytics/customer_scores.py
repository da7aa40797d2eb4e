"""A customer's scores: their purchase aggregates joined to their pattern's predictions.

A refresh stores predictions per (frequency, recency, T) pattern (PatternScore); each
customer's scores follow from their own purchase_summary row: the pattern's P(alive),
expected purchases and P(no purchase within the horizon), and CLV = clv_base +
clv_per_order_value x m + clv_per_revenue x total value, m being the customer's mean
repeat order value. `scores(team_id)` is that join as a subquery with one row per scored
customer, read like a table.

A customer who bought in a new period after the fit no longer matches a pattern of it (their
last period lies past its observation end) and is unscored until the next refresh, which
the bot starts when purchases arrive.

A fit as of a past date (`crm analytics refresh --as-of`, fit.as_of_requested) scores every
customer who had bought by then in its rankings and totals, computed from the aggregates as
of that date. This join still reads the current aggregates, so a customer who bought again
in a later period is not returned here for such a fit (known gap: storing the as-of
aggregates per customer needs a table; the lead may add one in migration 0016).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, literal_column
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session, col, select

from crm_core.models import PatternScore, PurchaseSummary


@dataclass(frozen=True)
class CustomerScore:
    """One customer's scores: the columns of `scores`."""

    customer_id: int
    fit_id: int
    frequency: int
    recency: int
    age: int  # T: periods from the first purchase to the fit's observation end
    monetary_value: float  # m, the mean repeat order value
    expected_purchases: float
    p_alive: float | None  # None with the historic formula
    clv: float
    value_at_risk: float | None
    p_no_purchase: float | None = None  # P(no purchase within the horizon); None if historic


def scores(team_id: str | ColumnElement) -> Subquery:
    """One row per scored customer of the workspace, with CustomerScore's columns."""
    aggregates, pattern = PurchaseSummary, PatternScore
    repeat_orders = col(aggregates.periods) - 1
    order_value = case(
        (
            col(aggregates.periods) > 1,
            (col(aggregates.total_value) - col(aggregates.first_period_value)) / repeat_orders,
        ),
        else_=literal_column("0.0"),
    )
    clv = (
        col(pattern.clv_base)
        + col(pattern.clv_per_order_value) * order_value
        + col(pattern.clv_per_revenue) * col(aggregates.total_value)
    )
    return (
        select(
            col(aggregates.customer_id).label("customer_id"),
            col(pattern.fit_id).label("fit_id"),
            col(pattern.frequency).label("frequency"),
            col(pattern.recency).label("recency"),
            col(pattern.age).label("age"),
            order_value.label("monetary_value"),
            col(pattern.expected_purchases).label("expected_purchases"),
            col(pattern.p_alive).label("p_alive"),
            clv.label("clv"),
            (clv * (1 - col(pattern.p_alive))).label("value_at_risk"),
            col(pattern.p_no_purchase).label("p_no_purchase"),
        )
        .join(
            pattern,
            and_(
                col(pattern.team_id) == col(aggregates.team_id),
                col(pattern.periods) == col(aggregates.periods),
                col(pattern.first_period) == col(aggregates.first_period),
                col(pattern.last_period) == col(aggregates.last_period),
            ),
        )
        .where(col(aggregates.team_id) == team_id)
        .subquery("customer_scores")
    )


_ONE = scores(bindparam("team_id"))
_SCORE_OF = select(_ONE).where(_ONE.c.customer_id == bindparam("customer_id"))  # built once


def score_of(session: Session, *, team_id: str, customer_id: int) -> CustomerScore | None:
    """One customer's scores, or None when the last refresh did not score them."""
    row = session.execute(_SCORE_OF, {"team_id": team_id, "customer_id": customer_id}).first()
    return CustomerScore(*row) if row else None
