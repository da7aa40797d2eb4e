"""The RFM summary condensed by the database into the few distinct patterns the models need.

BG/NBD predicts from a customer's (x, t_x, T) alone and Gamma-Gamma's likelihood depends on
(x, total repeat spend) alone, so a refresh reads those distinct combinations with how many
customers share each (about 100k patterns for a million customers in weeks), evaluates the
models once per pattern, and has the database broadcast the predictions back to every
customer with one INSERT ... SELECT: no per-customer row passes through Python.

The per-customer input is purchase_summary (kept current as purchases arrive) or, for an
observation end before some purchase, a temporary table built the same way from the
purchases up to that end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlmodel import Session

from crm_core import purchase_summaries
from crm_core.analytics.clv_models import GammaGamma
from crm_core.analytics.summary import period_index
from crm_core.analytics.writing import bulk_insert

_EARLIER_END = "scoring_aggregates"
_PREDICTIONS = "scoring_patterns"
_FETCH = 100_000


@dataclass(frozen=True)
class Condensed:
    """A workspace's customers as of a period, and their distinct (x, t_x, T) patterns.

    `patterns` has frequency, recency, T, customers (how many share the pattern) and
    monetary_sum (their mean repeat order values added up).
    """

    relation: str
    team_id: str
    end: int
    patterns: pd.DataFrame

    @property
    def params(self) -> dict:
        return {"team_id": self.team_id, "end": self.end}

    def customers_sql(self) -> str:
        return _customers_sql(self.relation)


def _customers_sql(relation: str) -> str:
    """One row per customer: customer_id, x, rec, age (T) and m (mean repeat order value)."""
    return f"""
        SELECT customer_id, periods - 1 AS x, last_period - first_period AS rec,
               :end - first_period AS age,
               CASE WHEN periods > 1
                    THEN (total_value - first_period_value) / (periods - 1)
                    ELSE 0.0 END AS m
        FROM {relation} WHERE team_id = :team_id
    """


@contextmanager
def condensed(
    session: Session, *, team_id: str, unit: str, observation_end: datetime
) -> Iterator[Condensed]:
    """The workspace's patterns as of `observation_end`, read from the freshest aggregates."""
    if not purchase_summaries.is_current(session, team_id=team_id, unit=unit):
        purchase_summaries.rebuild(session, team_id=team_id, unit=unit)
    params = {"team_id": team_id, "end": period_index(observation_end, unit)}
    found = _patterns(session, "purchase_summary", params)
    if not (found["recency"] > found["T"]).any():
        yield Condensed("purchase_summary", team_id, params["end"], found)
        return
    # Some purchase lies after the end: only the purchases themselves can answer.
    dialect = session.get_bind().dialect.name
    _create_temporary(
        session,
        _EARLIER_END,
        "team_id VARCHAR(32), customer_id INTEGER, first_period INTEGER, last_period INTEGER, "
        "periods INTEGER, first_period_value DOUBLE PRECISION, total_value DOUBLE PRECISION",
    )
    try:
        session.execute(
            text(
                f"INSERT INTO {_EARLIER_END} SELECT :team_id, customer_id, first_period, "
                "last_period, periods, first_period_value, total_value FROM ("
                f"{purchase_summaries.aggregates_sql(dialect, unit, until_end=True)}) AS built"
            ),
            params,
        )
        found = _patterns(session, _EARLIER_END, params)
        yield Condensed(_EARLIER_END, team_id, params["end"], found)
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {_EARLIER_END}"))


def _patterns(session: Session, relation: str, params: dict) -> pd.DataFrame:
    return _read(
        session,
        f"SELECT x, rec, age, COUNT(*), SUM(m) FROM ({_customers_sql(relation)}) AS c "
        "GROUP BY x, rec, age",
        params,
        {
            "frequency": "int64",
            "recency": "float64",
            "T": "float64",
            "customers": "int64",
            "monetary_sum": "float64",
        },
    )


def spends(session: Session, source: Condensed) -> pd.DataFrame:
    """Repeat customers with a positive spend as distinct (x, total cents), for Gamma-Gamma.

    m is a total over x, so the distinct (x, cents) with their counts as weights give the
    fit over every customer exactly. Refunds never enter the aggregates; customers whose
    repeat orders were all free have m = 0 and are left out, as Gamma-Gamma requires.
    """
    frame = _read(
        session,
        "SELECT periods - 1, ROUND((total_value - first_period_value) * 100), COUNT(*) "
        f"FROM {source.relation} WHERE team_id = :team_id AND periods > 1 "
        "AND total_value - first_period_value > 0 "
        "GROUP BY periods - 1, ROUND((total_value - first_period_value) * 100)",
        source.params,
        {"frequency": "int64", "cents": "float64", "customers": "int64"},
    )
    frame["monetary_value"] = frame["cents"] / 100 / frame["frequency"]
    return frame


def per_customer(session: Session, source: Condensed) -> pd.DataFrame:
    """frequency, recency, T and monetary_value per customer, indexed by customer_id."""
    frame = _read(
        session,
        source.customers_sql(),
        source.params,
        {
            "customer_id": "int64",
            "frequency": "int64",
            "recency": "float64",
            "T": "float64",
            "monetary_value": "float64",
        },
    )
    return frame.set_index("customer_id").sort_index()


def write_scores(
    session: Session,
    source: Condensed,
    *,
    fit_id: int,
    predictions: pd.DataFrame,
    gamma_gamma: GammaGamma,
) -> None:
    """Write every customer's scores from the per-pattern predictions, inside the database.

    `predictions` holds p_alive, expected_purchases and discounted (the discounted expected
    purchases over the horizon) per pattern; each customer's CLV is E(M | x, m) from
    `gamma_gamma` (computed by the statement, as clv_models.expected_order_value does) times
    the discounted purchases of their pattern, and value at risk is CLV x (1 - P(alive)).
    """
    _create_temporary(
        session,
        _PREDICTIONS,
        "x INTEGER, rec INTEGER, age INTEGER, p_alive DOUBLE PRECISION, "
        "expected DOUBLE PRECISION, discounted DOUBLE PRECISION, PRIMARY KEY (x, rec, age)",
    )
    try:
        columns = [
            predictions[name].to_numpy()
            for name in ("frequency", "recency", "T", "p_alive", "expected_purchases", "discounted")
        ]
        rows = [
            (int(x), int(r), int(t), float(p), float(e), float(d))
            for x, r, t, p, e, d in zip(*columns, strict=True)
        ]
        names = ("x", "rec", "age", "p_alive", "expected", "discounted")
        bulk_insert(session, _PREDICTIONS, names, rows)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ANALYZE {_PREDICTIONS}"))
        session.execute(
            text(
                f"""
                INSERT INTO customer_score (team_id, customer_id, fit_id, frequency, recency, age,
                    monetary_value, expected_purchases, p_alive, clv, value_at_risk)
                SELECT :team_id, customer_id, :fit_id, x, rec, age, m, expected, p_alive, clv,
                       clv * (1 - p_alive)
                FROM (
                    SELECT c.customer_id, c.x, c.rec, c.age, c.m, s.expected, s.p_alive,
                           ((1 - c.w) * :mean + c.w * c.m) * s.discounted AS clv
                    FROM (
                        SELECT customer_id, x, rec, age, m, :p * x / (:p * x + :q - 1) AS w
                        FROM ({source.customers_sql()}) AS customers
                    ) AS c
                    JOIN {_PREDICTIONS} s ON s.x = c.x AND s.rec = c.rec AND s.age = c.age
                ) AS scored
                """
            ),
            {
                **source.params,
                "fit_id": fit_id,
                "p": gamma_gamma.p,
                "q": gamma_gamma.q,
                "mean": gamma_gamma.population_mean,
            },
        )
    finally:
        session.execute(text(f"DROP TABLE IF EXISTS {_PREDICTIONS}"))


def _create_temporary(session: Session, name: str, columns: str) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    on_commit = " ON COMMIT DROP" if dialect == "postgresql" else ""
    session.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns}){on_commit}"))


def _read(session: Session, sql: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
    """A query's rows as typed columns, fetched in chunks so no million tuples pile up."""
    result = session.execute(text(sql), params)
    parts: list[np.ndarray] = []
    while chunk := result.fetchmany(_FETCH):
        # Plain tuples: numpy probing SQLAlchemy rows one by one is ten times slower.
        parts.append(np.array([tuple(row) for row in chunk], dtype=float))
    values = np.concatenate(parts) if parts else np.empty((0, len(columns)))
    return pd.DataFrame(
        {name: values[:, i].astype(kind) for i, (name, kind) in enumerate(columns.items())}
    )
