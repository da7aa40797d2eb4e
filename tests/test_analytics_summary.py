"""The SQL RFM summary equals lifetimes' own on lifetimes' example transactions."""

from __future__ import annotations

import importlib.resources
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert
from sqlmodel import select

from crm_core.analytics.summary import rfm_summary
from crm_core.models import Customer, Purchase

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes.utils import summary_data_from_transaction_data


@pytest.fixture(scope="module")
def example_transactions() -> pd.DataFrame:
    """lifetimes' example transactions, with made-up amounts (some days repeat per customer)."""
    path = importlib.resources.files("lifetimes").joinpath("datasets", "example_transactions.csv")
    frame = pd.read_csv(path, parse_dates=["date"])
    frame["amount"] = (np.arange(len(frame)) * 7 % 23 + 1) * 1.25
    return frame


def load(session, frame: pd.DataFrame, team_id="T1") -> dict:
    ids = sorted(frame["id"].unique())
    session.execute(
        insert(Customer),
        [
            {"team_id": team_id, "name": f"C{i}", "normalized_name": f"c{i}", "external_id": str(i)}
            for i in ids
        ],
    )
    session.flush()
    customers = session.exec(select(Customer).where(Customer.team_id == team_id)).all()
    by_external = {int(c.external_id): c.id for c in customers}
    session.execute(
        insert(Purchase),
        [
            {
                "team_id": team_id,
                "customer_id": by_external[row.id],
                "purchased_at": row.date.to_pydatetime().replace(tzinfo=UTC),
                "amount": row.amount,
                "currency": "USD",
            }
            for row in frame.itertuples()
        ],
    )
    session.flush()
    return {v: k for k, v in by_external.items()}


@pytest.mark.parametrize("unit", ["W", "D"])
def test_sql_summary_equals_lifetimes(session, example_transactions, unit):
    external = load(session, example_transactions)
    end = datetime(2014, 12, 31, tzinfo=UTC)
    ours = rfm_summary(session, team_id="T1", unit=unit, observation_end=end)
    ours.index = ours.index.map(external)
    theirs = summary_data_from_transaction_data(
        example_transactions,
        "id",
        "date",
        monetary_value_col="amount",
        freq=unit,
        observation_period_end="2014-12-31",
    )
    theirs = theirs.sort_index()
    ours = ours.sort_index()
    assert list(ours.index) == list(theirs.index)
    for column in ("frequency", "recency", "T"):
        assert np.array_equal(ours[column].to_numpy(float), theirs[column].to_numpy(float)), column
    assert np.allclose(ours["monetary_value"], theirs["monetary_value"], rtol=1e-9, atol=1e-9)


def test_summary_ignores_other_workspaces_refunds_and_later_purchases(session):
    frame = pd.DataFrame(
        {
            "id": [1, 1, 1, 1, 2],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-15", "2024-01-16", "2024-03-01", "2024-01-01"]
            ),
            "amount": [10.0, 20.0, -20.0, 99.0, 5.0],
        }
    )
    load(session, frame)
    load(session, frame.assign(amount=1.0), team_id="T2")
    ours = rfm_summary(
        session, team_id="T1", unit="D", observation_end=datetime(2024, 2, 1, tzinfo=UTC)
    )
    first = ours.iloc[0]
    # The refund on 16 January is no purchase, but it nets against the repeat spend (20 - 20);
    # 1 March is after the observation end.
    assert (first["frequency"], first["recency"], first["T"], first["monetary_value"]) == (
        1,
        14,
        31,
        0.0,
    )
    assert len(ours) == 2
