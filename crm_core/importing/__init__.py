"""CSV import of customers, purchases, interactions and NPS answers: all rows or none."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from crm_core.importing.columns import map_columns
from crm_core.importing.customers import load_customers
from crm_core.importing.errors import ImportFailed, RowError
from crm_core.importing.interactions import load_interactions
from crm_core.importing.nps import load_nps
from crm_core.importing.parsing import CellParser
from crm_core.importing.purchases import load_purchases
from crm_core.importing.reading import read_csv
from crm_core.importing.summary import ImportSummary
from crm_core.importing.synonyms import KINDS
from crm_core.importing.writing import Progress

__all__ = ["KINDS", "ImportFailed", "ImportSummary", "RowError", "import_csv"]


def import_csv(
    session: Session,
    *,
    team_id: str,
    kind: str,
    path: str | Path,
    tz: tzinfo,
    default_currency: str,
    dayfirst: bool = False,
    decimal_comma: bool | None = None,
    on_progress: Progress | None = None,
    future_tolerance_days: int = 1,
    now: datetime | None = None,
) -> ImportSummary:
    """Import one CSV file of `kind` (customers, purchases, interactions or nps).

    Every row is checked before anything is written: if one is bad, ImportFailed lists the
    first 20 bad rows and the session is left untouched. Importing the same file again adds
    nothing. Amounts are read with the decimal mark the file shows (refused when it shows
    both or cannot tell); `decimal_comma` True or False reads them all one way. The summary
    names the columns the import did not read. Purchases are converted into the reporting
    currency `default_currency` (a currency without a rate refuses the file) and refused when
    dated later than `now` plus `future_tolerance_days`. The caller commits.
    """
    if kind not in KINDS:
        raise ImportFailed(f"cannot import {kind!r}; choose one of: {', '.join(KINDS)}")
    frame = read_csv(path)
    if frame.empty:
        raise ImportFailed(f"{path}: the file has a header but no rows")
    frame = _without_empty_unnamed(frame)
    columns = map_columns(kind, list(frame.columns))
    parser = CellParser(frame, columns.fields)
    if kind == "customers":
        summary = load_customers(
            session,
            parser,
            team_id=team_id,
            default_currency=default_currency,
            decimal_comma=decimal_comma,
            on_progress=on_progress,
        )
    elif kind == "purchases":
        summary = load_purchases(
            session,
            parser,
            team_id=team_id,
            tz=tz,
            dayfirst=dayfirst,
            default_currency=default_currency,
            decimal_comma=decimal_comma,
            on_progress=on_progress,
            future_tolerance_days=future_tolerance_days,
            now=now,
        )
    elif kind == "interactions":
        summary = load_interactions(
            session, parser, team_id=team_id, tz=tz, dayfirst=dayfirst, on_progress=on_progress
        )
    else:
        summary = load_nps(
            session, parser, team_id=team_id, tz=tz, dayfirst=dayfirst, on_progress=on_progress
        )
    summary.unread_columns = columns.unread
    return summary


def _without_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the empty columns a trailing separator adds to a header ("a,b,"): nothing to read."""
    empty = [
        column
        for column in frame.columns
        if str(column).startswith("Unnamed: ") and (frame[column] == "").all()
    ]
    return frame.drop(columns=empty) if empty else frame
