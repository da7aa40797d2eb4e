"""The team's exchange rates: how much of the reporting currency one unit of another is worth."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ExchangeRate(SQLModel, table=True):
    # One rate of one currency on one day, as the team provided it (`crm import rates`). A
    # purchase is converted with the most recent rate on or before its date.
    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("team_id", "currency", "rate_date", name="uq_exchange_rate_day"),
        Index("ix_exchange_rate_team_currency_day", "team_id", "currency", "rate_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    currency: str = Field(max_length=3)  # the currency converted from
    reporting_currency: str = Field(max_length=3)  # the currency converted to
    rate_date: date = Field(sa_column=Column(Date, nullable=False))
    rate: float  # reporting-currency units per one unit of `currency`
