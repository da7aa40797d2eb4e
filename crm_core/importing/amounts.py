"""Reading an import's amounts with one decimal mark for the whole file, never row by row.

"1,234.56" can only have a decimal point and "1.234,56" only a decimal comma, but "2.000" or
"1,250" read either way, a thousand times apart. The file's unambiguous amounts decide how
those are read; a file that shows both marks, or only ambiguous amounts, is refused with the
switch that settles it, unless the caller passed one (`decimal_comma`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crm_core.importing.errors import ImportFailed, RowError
from crm_core.importing.parsing import CellParser
from crm_core.values import WrittenAmount, read_amount

_SWITCH = {True: "--decimal-comma", False: "--decimal-point"}
_STYLE = {True: "1.234,56", False: "1,234.56"}


@dataclass(frozen=True)
class DecimalMark:
    """How an import read its amounts' decimal mark, for the summary to say.

    `comma` is None when no amount in the file needed the mark decided; `settled` counts the
    rows whose amount reads either way ("2.000"), `example` is one of them and its value.
    """

    comma: bool | None
    forced: bool
    settled: int = 0
    example: tuple[str, str] | None = None


@dataclass(frozen=True)
class AmountColumn:
    """A file's amounts, the currency written with each, and how their decimal mark was read."""

    amounts: pd.Series
    currencies: pd.Series
    mark: DecimalMark


def read_amounts(
    parser: CellParser, field: str, *, decimal_comma: bool | None, optional: bool = False
) -> AmountColumn | None:
    """The column's amounts, read with the file's decimal mark (or the one passed).

    Bad cells become row errors on `parser`; a file whose decimal mark cannot be told, or
    that mixes both, raises ImportFailed naming its rows and the switch to pass.
    """
    values = parser.text(field)
    if values is None:
        return None
    written: dict[str, WrittenAmount | None]
    written = parser.distinct(field, read_amount, optional=optional)
    marks = {text: amount.mark for text, amount in written.items() if amount is not None}
    forced = decimal_comma is not None
    if forced:
        _refuse_other_mark(parser, field, values, marks, decimal_comma=bool(decimal_comma))
    else:
        decimal_comma = _file_mark(parser, field, values, marks, written)
    comma = bool(decimal_comma)
    readings = {
        text: amount.value(decimal_comma=comma)
        for text, amount in written.items()
        if amount is not None and marks[text] != ("point" if comma else "comma")
    }
    amounts = values.map(readings).astype(object)
    currencies = values.map(
        {text: amount.currency for text, amount in written.items() if amount is not None}
    ).astype(object)
    either = [text for text, mark in marks.items() if mark == "either"]
    settled = int(values.isin(either).sum()) if either else 0
    example = (either[0], f"{readings[either[0]]:f}") if either else None
    return AmountColumn(
        amounts.where(amounts.notna(), None),
        currencies.where(currencies.notna(), None),
        DecimalMark(decimal_comma, forced, settled, example),
    )


def _refuse_other_mark(
    parser: CellParser,
    field: str,
    values: pd.Series,
    marks: dict[str, str],
    *,
    decimal_comma: bool,
) -> None:
    other = "point" if decimal_comma else "comma"
    wrong = [text for text, mark in marks.items() if mark == other]
    for line, text in values[values.isin(wrong)].items():
        parser.add_error(
            int(line),
            field,
            f"{text!r} has a decimal {other}, but {_SWITCH[decimal_comma]} reads amounts as "
            f"{_STYLE[decimal_comma]}; write it that way, or import without the switch",
        )


def _file_mark(
    parser: CellParser,
    field: str,
    values: pd.Series,
    marks: dict[str, str],
    written: dict[str, WrittenAmount | None],
) -> bool | None:
    """True (decimal comma), False (decimal point) or None (nothing to decide) for the file."""
    by_mark: dict[str, list[str]] = {"point": [], "comma": [], "either": [], "none": []}
    for text, mark in marks.items():
        by_mark[mark].append(text)
    if bool(by_mark["point"]) != bool(by_mark["comma"]):  # the usual file: one mark shown
        return bool(by_mark["comma"])
    if not by_mark["point"] and not by_mark["either"]:
        return None
    # Only the refusals below need to know which rows are which.
    point, comma, either = (values.isin(by_mark[m]) for m in ("point", "comma", "either"))
    column = parser.columns[field]
    if point.any() and comma.any():
        minority, mark = (comma, "comma") if comma.sum() <= point.sum() else (point, "point")
        majority = point if mark == "comma" else comma
        first = int(majority.idxmax())
        other = "point" if mark == "comma" else "comma"
        raise ImportFailed(
            f"the {column!r} column writes amounts two ways: {int(point.sum()):,} rows with a "
            f"decimal point (1,234.56) and {int(comma.sum()):,} with a decimal comma "
            "(1.234,56), so nothing was imported. Write them one way, or pass --decimal-point "
            "or --decimal-comma to read the whole file one way. "
            f"The rows with a decimal {mark}:",
            [
                RowError(
                    int(line),
                    column,
                    f"{text!r} has a decimal {mark}; line {first} has a decimal {other} "
                    f"({values[first]!r})",
                )
                for line, text in values[minority].head(50).items()
            ],
            int(minority.sum()),
        )
    rows = []
    for line, text in values[either].head(50).items():
        amount = written[text]
        assert amount is not None
        as_point, as_comma = amount.either_way()
        rows.append(
            RowError(
                int(line),
                column,
                f"{text!r} is {_plain(as_comma)} with a decimal comma, {_plain(as_point)} with "
                "a decimal point",
            )
        )
    raise ImportFailed(
        f"the {column!r} column has amounts that read two ways, such as "
        f"{values[either].iloc[0]!r}, "
        "and none that shows which decimal mark the file uses, so nothing was imported. "
        "Pass --decimal-comma if the file writes 1.234,56 (2.000 is two thousand), or "
        "--decimal-point if it writes 1,234.56 (2,000 is two thousand):",
        rows,
        int(either.sum()),
    )


def _plain(amount) -> str:
    return f"{abs(amount).normalize():f}"
