"""Importing orders: customer, date, amount, and optionally currency and order id."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from crm_core import exchange_rates
from crm_core.importing.amounts import read_amounts
from crm_core.importing.errors import ImportFailed
from crm_core.importing.keys import row_keys
from crm_core.importing.parsing import CellParser
from crm_core.importing.refs import CustomerRefs
from crm_core.importing.summary import ImportSummary
from crm_core.importing.writing import Progress, insert_new
from crm_core.models import Purchase, utcnow
from crm_core.purchase_summaries import rebuild_touched
from crm_core.purchases import AMOUNT_LIMIT


def load_purchases(
    session: Session,
    parser: CellParser,
    *,
    team_id: str,
    tz: tzinfo,
    dayfirst: bool,
    default_currency: str,
    decimal_comma: bool | None = None,
    on_progress: Progress | None = None,
    future_tolerance_days: int = 1,
    now: datetime | None = None,
) -> ImportSummary:
    """Add the file's orders; unknown customers are created and listed in the summary.

    `default_currency` is the reporting currency: each order also stores its amount in it,
    converted at the newest rate on or before its date (in `tz`). A file with an order in a
    currency lacking such a rate, or dated later than `now` plus `future_tolerance_days`,
    is refused whole.
    """
    refs = parser.required_text("customer", "the customer")
    dates = parser.dates("date", tz=tz, dayfirst=dayfirst)
    read = read_amounts(parser, "amount", decimal_comma=decimal_comma)
    assert read is not None
    amounts, written = read.amounts, read.currencies
    for line in amounts.index[
        amounts.map(lambda a: isinstance(a, Decimal) and abs(a) >= AMOUNT_LIMIT)
    ]:
        parser.add_error(int(line), "amount", "too large; amounts stay under 1,000,000,000,000")
    currency = _currencies(parser, written, default_currency)
    order_ids = parser.unique_ids("external_id", "order id")
    parser.raise_if_bad()
    assert dates is not None
    _refuse_future(dates, (now or utcnow()) + timedelta(days=future_tolerance_days),
                   future_tolerance_days)  # fmt: skip
    try:
        reporting = exchange_rates.convert(
            session,
            team_id=team_id,
            reporting_currency=default_currency,
            amounts=amounts.tolist(),
            currencies=currency.tolist(),
            days=list(dates.dt.tz_convert(tz).dt.date),
        )
    except exchange_rates.MissingRate as exc:
        raise ImportFailed(f"Nothing was imported. {exc}") from None
    exchange_rates.backfill(session, team_id=team_id, reporting_currency=default_currency)

    epoch = dates.astype("int64") // 1_000_000_000
    keys = row_keys("csv", [refs, epoch, amounts, currency])
    if order_ids is not None:
        keys = order_ids.where(order_ids != "", keys)
    customer_refs = CustomerRefs(session, team_id)
    created = customer_refs.create_missing(pd.unique(refs))
    customer_ids = [customer_refs.find(ref) for ref in refs]
    when = list(dates.dt.to_pydatetime())
    amount_list, currency_list, key_list = amounts.tolist(), currency.tolist(), keys.tolist()
    now = utcnow()

    def rows(start: int, stop: int) -> list[dict]:
        return [
            {
                "team_id": team_id,
                "customer_id": customer_ids[i],
                "purchased_at": when[i],
                "amount": amount_list[i],
                "currency": currency_list[i],
                "reporting_amount": reporting[i],
                "reporting_currency": default_currency,
                "external_id": key_list[i],
                "created_at": now,
            }
            for i in range(start, stop)
        ]

    added = insert_new(
        session,
        Purchase.__table__,  # type: ignore[attr-defined]
        rows,
        len(refs),
        unique=("team_id", "external_id"),
        team_id=team_id,
        on_progress=on_progress,
    )
    if added:
        rebuild_touched(session, team_id=team_id, customer_ids=set(customer_ids))
    return ImportSummary(
        "purchases",
        rows=len(refs),
        added=added,
        unchanged=len(refs) - added,
        customers_created=created,
        decimal_mark=read.mark,
    )


def _currencies(parser: CellParser, written: pd.Series, default_currency: str) -> pd.Series:
    column = parser.text("currency")
    if column is None:
        return written.fillna(default_currency)
    column = column.str.upper()
    for line, code in column[(column != "") & ~column.str.fullmatch(r"[A-Z]{3}")].items():
        parser.add_error(
            int(line), "currency", f"{code!r} is not a currency code; use three letters such as USD"
        )
    clash = (column != "") & written.notna() & (column != written)
    for line in column.index[clash]:
        parser.add_error(
            int(line),
            "currency",
            f"{column[line]} but the amount is written in {written[line]}; make them agree",
        )
    return column.where(column != "", written.fillna(default_currency))


def _refuse_future(dates: pd.Series, latest: datetime, tolerance: int) -> None:
    later = dates.index[dates > pd.Timestamp(latest)]
    if len(later) == 0:
        return
    lines = ", ".join(str(int(line)) for line in later[:5])
    more = f" and {len(later) - 5:,} more" if len(later) > 5 else ""
    raise ImportFailed(
        f"{len(later):,} purchase{'s are' if len(later) != 1 else ' is'} dated in the future, "
        f"later than now plus analytics.future_tolerance_days ({tolerance} day"
        f"{'s' if tolerance != 1 else ''}): line{'s' if len(later) != 1 else ''} {lines}{more}. "
        "Nothing was imported. Fix the dates, or raise analytics.future_tolerance_days in "
        "app.yaml, and import the file again."
    )
