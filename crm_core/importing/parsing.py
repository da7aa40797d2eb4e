"""Turning text columns into typed values, collecting a RowError for every bad cell.

Each distinct text is parsed once (files repeat dates and amounts a great deal), through the
same parsers a typed command uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, tzinfo
from typing import Any

import pandas as pd

from crm_core.errors import InvalidInput
from crm_core.importing.errors import ImportFailed, RowError
from crm_core.importing.keys import first_duplicates
from crm_core.nps import valid_score
from crm_core.values import parse_datetime

_SLACK_USER = re.compile(r"^<?@?([UW][A-Z0-9]{2,31})(\|[^>]*)?>?$")
_TRUE = {"1", "true", "yes", "y", "done", "x"}
_FALSE = {"", "0", "false", "no", "n"}


class CellParser:
    """Parses columns of one file and remembers every bad cell it met."""

    def __init__(self, frame: pd.DataFrame, columns: dict[str, str]) -> None:
        self.frame = frame
        self.columns = columns
        self.errors: list[RowError] = []
        self.bad_lines: set[int] = set()

    def text(self, field: str) -> pd.Series | None:
        """The column's raw text, or None when the file has no such column."""
        header = self.columns.get(field)
        return None if header is None else self.frame[header]

    def required_text(self, field: str, what: str) -> pd.Series:
        """The column's text; an empty cell is a bad row."""
        values = self.frame[self.columns[field]]
        for line in values.index[values == ""]:
            self._bad(int(line), field, f"{what} is empty")
        return values

    def map_unique(
        self, field: str, parse: Callable[[str], Any], *, optional: bool = False
    ) -> pd.Series | None:
        """Apply `parse` to each distinct text of the column; failures become row errors."""
        values = self.text(field)
        if values is None:
            return None
        mapped = values.map(self.distinct(field, parse, optional=optional)).astype(object)
        # pandas turns a mapped None into NaN; the database wants NULL.
        return mapped.where(mapped.notna(), None)

    def distinct(
        self, field: str, parse: Callable[[str], Any], *, optional: bool = False
    ) -> dict[str, Any]:
        """Each distinct text of the column -> `parse` of it (None where it failed or is empty
        and `optional`); the rows of a failure become row errors."""
        values = self.frame[self.columns[field]]
        parsed: dict[str, Any] = {}
        failures: dict[str, str] = {}
        for text in pd.unique(values):
            if optional and text == "":
                parsed[text] = None
                continue
            try:
                parsed[text] = parse(text)
            except InvalidInput as exc:
                failures[text] = str(exc)
                parsed[text] = None
        if failures:
            for line, text in values[values.isin(list(failures))].items():
                self._bad(int(line), field, failures[text])
        return parsed

    def dates(
        self,
        field: str,
        *,
        tz: tzinfo,
        dayfirst: bool,
        optional: bool = False,
        default_time: time = time(),
    ) -> pd.Series | None:
        """Aware datetimes in UTC (datetime64), read with python-dateutil.

        A cell without a time of day gets `default_time`; one without a zone is in `tz`,
        unless the header says UTC (Stripe's "Created (UTC)").
        """
        header = self.columns.get(field)
        if header is not None and re.search(r"(?<![a-z])utc(?![a-z])", header, re.I):
            tz = UTC

        def parse(text: str) -> datetime:
            return parse_datetime(text, tz=tz, dayfirst=dayfirst, default_time=default_time)

        parsed = self.map_unique(field, parse, optional=optional)
        if parsed is None:
            return None
        return pd.to_datetime(parsed, utc=True)

    def scores(self, field: str) -> pd.Series:
        """NPS scores as ints, 0-10."""
        parsed = self.map_unique(field, valid_score)
        assert parsed is not None
        return parsed

    def slack_users(self, field: str, people: Mapping[str, str]) -> pd.Series | None:
        """Slack user ids from "U024BE7LH", "<@U024BE7LH>" or a handle or full name of
        `people` (the directory: "jane", "Jane Roe"); empty stays None."""
        return self.map_unique(field, lambda text: _slack_user(text, people), optional=True)

    def flags(self, field: str) -> pd.Series | None:
        """Yes/no cells as booleans."""
        return self.map_unique(field, _flag)

    def _bad(self, line: int, field: str, reason: str) -> None:
        self.bad_lines.add(line)
        if len(self.errors) < 10_000:
            self.errors.append(RowError(line, self.columns.get(field, field), reason))

    def limited_text(self, field: str, limit: int) -> pd.Series | None:
        """The column's text; a cell longer than `limit` characters is a bad row."""
        values = self.text(field)
        if values is not None:
            for line in values.index[values.str.len() > limit]:
                self._bad(int(line), field, f"longer than {limit:,} characters")
        return values

    def unique_ids(self, field: str, what: str) -> pd.Series | None:
        """The column's text; an id already used on an earlier line is a bad row."""
        values = self.text(field)
        if values is not None:
            for line, value, first in first_duplicates(values):
                self._bad(
                    line, field, f"{what} {value!r} is also on line {first}; ids must be unique"
                )
        return values

    def raise_if_bad(self) -> None:
        """Stop the import, writing nothing, when any cell was bad."""
        if not self.errors:
            return
        count = len(self.bad_lines)
        raise ImportFailed(
            f"{count:,} row{'s' if count != 1 else ''} could not be read, so nothing was imported. "
            "Fix them and import the file again:",
            self.errors,
            count,
        )

    def add_error(self, line: int, field: str, reason: str) -> None:
        """Record a problem found by a check across rows (a duplicate id, an unknown customer)."""
        self._bad(line, field, reason)


def _slack_user(text: str, people: Mapping[str, str]) -> str:
    match = _SLACK_USER.match(text.strip())
    if match:
        return match.group(1)
    name = " ".join(text.strip().lstrip("@").lower().split())
    if name in people:
        return people[name]
    raise InvalidInput(
        f"{text!r} is not a Slack user id or a name in the directory; use an id such as "
        f'U024BE7LH, or add them first (crm ask "people add @{name.split(" ")[0] or "jane"} '
        '<Slack member id> <full name>", or crm directory sync)'
    )


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{text!r} is not yes or no; use yes/no, true/false or 1/0")
