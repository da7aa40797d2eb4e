"""Reading the values users type or import: amounts of money and dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal

from dateutil import parser as dateparser

from crm_core.errors import InvalidInput

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB"}
_AMOUNT = re.compile(
    r"^(?P<sign1>[-+])?\s*+(?P<pre>[A-Za-z]{3}|[$€£¥₹₩₽])?\s*+(?P<sign2>[-+])?\s*+"
    r"(?P<number>\d(?:[\d.,'’ _\u00a0\u202f]*\d)?|[.,]\d+)\s*+"
    r"(?P<post>[A-Za-z]{3}|[$€£¥₹₩₽])?$"
)
# Separators that only ever group thousands: space, no-break and thin spaces, ', ’ and _.
_GROUPING = " _'’\u00a0\u202f"
# Currencies whose countries mostly write 1.234,56; the rest write 1,234.56. Only used to
# settle a chat amount such as "2.000" that the two conventions read differently.
DECIMAL_COMMA_CURRENCIES = frozenset(
    {"EUR", "BRL", "ARS", "CLP", "COP", "DKK", "NOK", "SEK", "ISK", "RUB",
     "TRY", "IDR", "VND", "PLN", "CZK", "HUF", "RON", "BGN", "RSD", "UAH"}
)  # fmt: skip
EXAMPLE = "1250, $1,250.00 or 1.250,00 €"


@dataclass(frozen=True)
class WrittenAmount:
    """An amount as written: sign, currency, digits, and which decimal mark it shows.

    `mark` is "point" when only 1,234.56 reads it, "comma" when only 1.234,56 does, "none"
    when both read it the same (1250, 1 250), and "either" when they differ: one "." or ","
    followed by exactly three digits (2.000, 1,250), which is a thousands separator in one
    convention and a decimal mark in the other.
    """

    text: str
    negative: bool
    currency: str | None
    whole: str
    fraction: str
    mark: str
    separator: str = ""

    def value(self, *, decimal_comma: bool) -> Decimal:
        """The amount read with a decimal comma (1.234,56) or a decimal point (1,234.56)."""
        if self.mark == "either":
            decimal_mark = "," if decimal_comma else "."
            digits = (
                f"{self.whole}.{self.fraction}"
                if self.separator == decimal_mark
                else self.whole + self.fraction
            )
        elif self.mark == ("point" if decimal_comma else "comma"):
            raise InvalidInput(
                f"{self.text!r} is written with a decimal {self.mark}, "
                f"not a decimal {'comma' if decimal_comma else 'point'}"
            )
        else:
            digits = f"{self.whole}.{self.fraction}" if self.fraction else self.whole
        amount = Decimal(digits)
        return -amount if self.negative else amount

    def either_way(self) -> tuple[Decimal, Decimal]:
        """An "either" amount as (read with a decimal point, read with a decimal comma)."""
        return self.value(decimal_comma=False), self.value(decimal_comma=True)


def read_amount(text: str) -> WrittenAmount:
    """Take an amount apart without deciding its decimal mark; InvalidInput if it is none."""
    raw = text.strip()
    negative = False
    if raw.startswith("(") and raw.endswith(")"):  # accounting notation for a negative amount
        raw, negative = raw[1:-1].strip(), True
    match = _AMOUNT.match(raw)
    if not match or (match["sign1"] and match["sign2"]) or (match["pre"] and match["post"]):
        raise InvalidInput(f"{text!r} is not an amount; type a number such as {EXAMPLE}")
    shape = _number_shape(match["number"])
    if shape is None:
        raise InvalidInput(
            f"{text!r} is not an amount: its separators do not group thousands; "
            f"type a number such as {EXAMPLE}"
        )
    if (match["sign1"] or match["sign2"]) == "-":
        negative = not negative
    code = match["pre"] or match["post"]
    currency = _SYMBOLS.get(code, code.upper()) if code else None
    return WrittenAmount(text, negative, currency, *shape)


def parse_amount(
    text: str | int | float | Decimal, *, default_currency: str | None = None
) -> tuple[Decimal, str | None]:
    """An amount such as "$1,234.50", "-12", "EUR 99", "1.234,56 €" as (Decimal, currency).

    The decimal mark is the one the text shows. When it shows none for sure ("2.000",
    "1,250") the separator is read as thousands if the amount's currency (written, else
    `default_currency`) groups thousands with it (EUR: "2.000" is 2000; USD: "1,250" is
    1250); otherwise InvalidInput asks for the amount without doubt.
    """
    if isinstance(text, bool):
        raise InvalidInput(f"{text!r} is not an amount; type a number such as {EXAMPLE}")
    if isinstance(text, int | Decimal):
        return Decimal(text), None
    if isinstance(text, float):
        return Decimal(repr(text)), None
    written = read_amount(text)
    if written.mark == "either":
        currency = written.currency or default_currency
        decimal_comma = currency in DECIMAL_COMMA_CURRENCIES
        if written.separator == ("," if decimal_comma else "."):
            raise InvalidInput(_ambiguous(written, decimal_comma=decimal_comma))
        return written.value(decimal_comma=decimal_comma), written.currency
    return written.value(decimal_comma=written.mark == "comma"), written.currency


def _ambiguous(written: WrittenAmount, *, decimal_comma: bool) -> str:
    """Why "2.000" (in USD) or "1,250" (in EUR) is refused, and the two ways to type it."""
    large = written.whole + written.fraction
    small = Decimal(f"{written.whole}.{written.fraction}")
    shown = f"{small.normalize():f}"
    typed = f"{small:.2f}".replace(".", "," if decimal_comma else ".")
    return (
        f"{written.text.strip()!r} could mean {large} or {shown}; "
        f"type {large} (or {typed} if you mean {shown})"
    )


def _number_shape(number: str) -> tuple[str, str, str, str] | None:
    """(whole digits, fraction digits, mark, separator) of a number's text, None if malformed."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal = "." if number.rfind(".") > number.rfind(",") else ","
        whole, fraction = number.rsplit(decimal, 1)
        thousands = "," if decimal == "." else "."
        if decimal in whole or not fraction.isdigit() or not _grouped(whole, thousands):
            return None
        return _digits(whole), fraction, "point" if decimal == "." else "comma", ""
    if dots + commas == 0:
        return (_digits(number), "", "none", "") if _grouped(number, "") else None
    separator = "." if dots else ","
    if dots + commas > 1:  # only a thousands separator repeats: "1,234,567", "1.234.567"
        if not _grouped(number, separator):
            return None
        return _digits(number), "", "comma" if separator == "." else "point", ""
    whole, fraction = number.split(separator)
    if not fraction.isdigit() or (whole and not _grouped(whole, "")):
        return None
    mark = "point" if separator == "." else "comma"
    grouped = any(char in whole for char in _GROUPING)
    if len(fraction) != 3 or not whole or grouped or len(whole) > 3 or whole.startswith("0"):
        return _digits(whole) or "0", fraction, mark, ""  # can only be a decimal mark
    return whole, fraction, "either", separator


def _grouped(number: str, separator: str) -> bool:
    """Whether digits are plain or grouped in threes by one separator ("1 234", "1,234")."""
    if number.isdigit():
        return True
    for char in separator + _GROUPING:
        if char in number:
            groups = number.split(char)
            return (
                1 <= len(groups[0]) <= 3
                and all(group.isdigit() for group in groups)
                and all(len(group) == 3 for group in groups[1:])
            )
    return False


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def parse_datetime(
    text: str, *, tz: tzinfo, dayfirst: bool = False, default_time: time = time()
) -> datetime:
    """A date or date-time in any common form (ISO, 19970101, 01/02/1997) as an aware datetime.

    A value without a zone is read in `tz`; `dayfirst` reads 01/02/1997 as 1 February; a
    value without a time of day gets `default_time`.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput("the date is empty; type a date such as 2024-03-01")
    try:
        value = dateparser.parse(
            raw, dayfirst=dayfirst, default=datetime.combine(date.today(), default_time)
        )
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{text!r} is not a date; type one such as 2024-03-01 or 03/01/2024"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value
