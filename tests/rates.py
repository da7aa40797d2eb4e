"""Exchange rates for tests whose workspaces (reporting in USD) record other currencies."""

from __future__ import annotations

from datetime import date

from crm_core.db import unit_of_work
from crm_core.models import ExchangeRate

# USD per one unit, from long before any test's purchases.
RATES = {"EUR": 1.08, "GBP": 1.27}


def add_rates(engine, *, team_id: str = "T1", since: date = date(1990, 1, 1)) -> None:
    with unit_of_work(engine) as session:
        for currency, rate in RATES.items():
            session.add(
                ExchangeRate(
                    team_id=team_id, currency=currency, reporting_currency="USD",
                    rate_date=since, rate=rate,
                )
            )  # fmt: skip
