"""The team's exchange rates, and converting purchases into the reporting currency.

A workspace reports in `default_currency`. `crm import rates FILE` stores, per currency and
day, how many units of the reporting currency one unit of that currency is worth; a purchase
is converted with the most recent rate on or before its date. A purchase in the reporting
currency is worth its amount. A purchase in a currency without such a rate is refused
(MissingRate), so no figure ever adds amounts of different currencies.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from crm_core.errors import InvalidInput
from crm_core.models import ExchangeRate, Purchase

CENT = Decimal("0.01")


class MissingRate(InvalidInput):
    """A purchase's currency has no rate on or before its date."""

    def __init__(self, currency: str, earliest: date, reporting_currency: str) -> None:
        self.currency, self.earliest = currency, earliest
        super().__init__(
            f"No exchange rate for {currency} on or before {earliest.isoformat()} (the earliest "
            f"purchase in {currency} that needs one); this workspace reports in "
            f"{reporting_currency}. Nothing was recorded. Add the rates with "
            f"`crm import rates FILE` (a CSV with columns date,currency,rate, the rate being "
            f"{reporting_currency} per one {currency}, e.g. {earliest.isoformat()},{currency},"
            "RATE) and try again."
        )


@dataclass(frozen=True)
class RatesImported:
    """What `import_rates` did: rows read, rates added, rates replaced."""

    rows: int
    added: int
    updated: int


def import_rates(
    session: Session, *, team_id: str, path: str | Path, reporting_currency: str
) -> RatesImported:
    """Upsert the file's rates (columns date,currency,rate) per currency and day.

    Every row is checked first: one bad row refuses the whole file, naming its line and
    what to type, and nothing is written. The caller commits.
    """
    from crm_core.importing.errors import ImportFailed, RowError  # pandas: only when importing
    from crm_core.importing.reading import read_csv

    frame = read_csv(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("date", "currency", "rate") if c not in frame.columns]
    if missing:
        raise ImportFailed(
            f"{path}: the rates file needs the columns date,currency,rate (missing: "
            f"{', '.join(missing)}); e.g. 2024-03-01,JPY,0.0067 means one JPY is worth "
            f"0.0067 {reporting_currency}"
        )
    if frame.empty:
        raise ImportFailed(f"{path}: the file has a header but no rows")
    errors: list = []
    parsed: dict[tuple[str, date], tuple[float, int]] = {}
    for line, day_text, code, rate_text in zip(
        frame.index, frame["date"], frame["currency"], frame["rate"], strict=True
    ):
        line = int(line)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            errors.append(RowError(line, "date", f"{day_text!r}: type a date as 2024-03-01"))
            day = None
        code = code.upper()
        if len(code) != 3 or not code.isalpha():
            errors.append(
                RowError(line, "currency", f"{code!r}: type a three-letter code such as JPY")
            )
        elif code == reporting_currency:
            errors.append(
                RowError(
                    line,
                    "currency",
                    f"{code} is the reporting currency (its rate is always 1); remove the line",
                )
            )
        try:
            rate = float(rate_text.replace(",", "."))
            if not math.isfinite(rate) or rate <= 0:
                raise ValueError
        except ValueError:
            errors.append(
                RowError(
                    line,
                    "rate",
                    f"{rate_text!r}: type a positive number, {reporting_currency} per one "
                    f"{code or 'unit'}, such as 0.0067",
                )
            )
            rate = None
        if day is not None and (code, day) in parsed:
            errors.append(
                RowError(
                    line,
                    "date",
                    f"{code} on {day} is also on line {parsed[(code, day)][1]}; keep one of them",
                )
            )
        elif day is not None and rate is not None:
            parsed[(code, day)] = (rate, line)
    if errors:
        bad = len({e.line for e in errors})
        raise ImportFailed(
            f"{bad:,} row{'s' if bad != 1 else ''} of {path} could not be read, so no rate "
            "was imported. Fix them and import the file again:",
            errors,
            bad,
        )
    existing = {
        (rate.currency, rate.rate_date): rate
        for rate in session.exec(
            select(ExchangeRate).where(
                ExchangeRate.team_id == team_id,
                col(ExchangeRate.currency).in_(sorted({c for c, _ in parsed})),
            )
        )
    }
    added = updated = 0
    for (code, day), (rate, _) in parsed.items():
        row = existing.get((code, day))
        if row is None:
            row = ExchangeRate(team_id=team_id, currency=code, rate_date=day, rate=rate,
                               reporting_currency=reporting_currency)  # fmt: skip
            added += 1
        else:
            row.rate, row.reporting_currency = rate, reporting_currency
            updated += 1
        session.add(row)
    session.flush()
    return RatesImported(rows=len(frame), added=added, updated=updated)


def convert(
    session: Session,
    *,
    team_id: str,
    reporting_currency: str,
    amounts: Sequence[Decimal],
    currencies: Sequence[str],
    days: Sequence[date],
) -> list[Decimal]:
    """The amounts in the reporting currency, each at the newest rate on or before its day.

    Raises MissingRate naming the first currency (alphabetically) lacking a rate and the
    earliest day of it that needs one.
    """
    foreign = sorted({c for c in currencies if c != reporting_currency})
    tables: dict[str, tuple[list[date], list[float]]] = {c: ([], []) for c in foreign}
    if foreign:
        for code, day, rate in session.exec(
            select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate)
            .where(
                ExchangeRate.team_id == team_id,
                ExchangeRate.reporting_currency == reporting_currency,
                col(ExchangeRate.currency).in_(foreign),
            )
            .order_by(col(ExchangeRate.currency), col(ExchangeRate.rate_date))
        ):
            tables[code][0].append(day)
            tables[code][1].append(rate)
    converted: list[Decimal] = []
    lacking: dict[str, date] = {}
    for amount, code, day in zip(amounts, currencies, days, strict=True):
        if code == reporting_currency:
            converted.append(Decimal(amount))
            continue
        known, rates = tables[code]
        at = bisect_right(known, day)
        if at == 0:
            lacking[code] = min(day, lacking.get(code, day))
            converted.append(Decimal(0))
            continue
        value = Decimal(amount) * Decimal(repr(rates[at - 1]))
        converted.append(value.quantize(CENT, rounding=ROUND_HALF_UP))
    if lacking:
        code = min(lacking)
        raise MissingRate(code, lacking[code], reporting_currency)
    return converted


def backfill(session: Session, *, team_id: str, reporting_currency: str) -> None:
    """Give purchases written before rates existed (reporting_amount NULL) their reporting
    amount where it is their own: those in the reporting currency. Others stay NULL and
    count for nothing in the aggregates until converted."""
    session.execute(
        update(Purchase)
        .where(
            col(Purchase.team_id) == team_id,
            col(Purchase.reporting_amount).is_(None),
            col(Purchase.currency) == reporting_currency,
        )
        .values(reporting_amount=Purchase.amount, reporting_currency=reporting_currency)
    )


def backfill_once(session: Session, *, team_id: str, reporting_currency: str) -> None:
    """`backfill`, unless the workspace's newest purchase already has its reporting amount
    (then every write since the upgrade backfilled): one look at the team index per order."""
    newest = session.exec(
        select(Purchase.reporting_currency).where(
            Purchase.id
            == select(func.max(Purchase.id)).where(Purchase.team_id == team_id).scalar_subquery()
        )
    ).first()
    if (
        newest is None
        and session.exec(select(Purchase.id).where(Purchase.team_id == team_id).limit(1)).first()
        is not None
    ):
        backfill(session, team_id=team_id, reporting_currency=reporting_currency)
