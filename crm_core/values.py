"""Reading the values users type or import: amounts of money and dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation

from dateutil import parser as dateparser

from crm_core.errors import InvalidInput

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB"}
_AMOUNT = re.compile(
    r"^(?P<sign1>[-+])?\s*(?P<pre>[A-Za-z]{3}|[$€£¥₹₩₽])?\s*(?P<sign2>[-+])?\s*"
    r"(?P<number>\d{1,3}(?:[, _]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<post>[A-Za-z]{3}|[$€£¥₹₩₽])?$"
)


def parse_amount(text: str | int | float | Decimal) -> tuple[Decimal, str | None]:
    """An amount such as "$1,234.50", "-12", "EUR 99" or "99 €" as (Decimal, currency or None).

    Thousands separators (comma, space, underscore) and one currency symbol or ISO code are
    allowed; anything else raises InvalidInput saying what was wrong.
    """
    if isinstance(text, bool):
        raise InvalidInput(f"{text!r} is not an amount; type a number such as 1250 or $1,250.00")
    if isinstance(text, int | Decimal):
        return Decimal(text), None
    if isinstance(text, float):
        return Decimal(repr(text)), None
    raw = text.strip()
    if raw.startswith("(") and raw.endswith(")"):  # accounting notation for a negative amount
        amount, currency = parse_amount(raw[1:-1])
        return -amount, currency
    match = _AMOUNT.match(raw)
    if not match or (match["sign1"] and match["sign2"]) or (match["pre"] and match["post"]):
        raise InvalidInput(f"{text!r} is not an amount; type a number such as 1250 or $1,250.00")
    try:
        amount = Decimal(re.sub(r"[, _]", "", match["number"]))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise InvalidInput(f"{text!r} is not an amount") from None
    if (match["sign1"] or match["sign2"]) == "-":
        amount = -amount
    code = match["pre"] or match["post"]
    currency = _SYMBOLS.get(code, code.upper()) if code else None
    return amount, currency


def parse_datetime(text: str, *, tz: tzinfo, dayfirst: bool = False) -> datetime:
    """A date or date-time in any common form (ISO, 19970101, 01/02/1997) as an aware datetime.

    A value without a zone is read in `tz`; `dayfirst` reads 01/02/1997 as 1 February.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput("the date is empty; type a date such as 2024-03-01")
    try:
        value = dateparser.parse(
            raw, dayfirst=dayfirst, default=datetime.combine(date.today(), time())
        )
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{text!r} is not a date; type one such as 2024-03-01 or 03/01/2024"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value
