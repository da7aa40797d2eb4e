"""CSV import of customers, purchases, interactions and NPS answers: all rows or none."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from sqlmodel import Session

from crm_core.importing.columns import KINDS, map_columns
from crm_core.importing.customers import load_customers
from crm_core.importing.errors import ImportFailed, RowError
from crm_core.importing.interactions import load_interactions
from crm_core.importing.nps import load_nps
from crm_core.importing.parsing import CellParser
from crm_core.importing.purchases import load_purchases
from crm_core.importing.reading import read_csv
from crm_core.importing.summary import ImportSummary
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
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Import one CSV file of `kind` (customers, purchases, interactions or nps).

    Every row is checked before anything is written: if one is bad, ImportFailed lists the
    first 20 bad rows and the session is left untouched. Importing the same file again adds
    nothing. The caller commits.
    """
    if kind not in KINDS:
        raise ImportFailed(f"cannot import {kind!r}; choose one of: {', '.join(KINDS)}")
    frame = read_csv(path)
    if frame.empty:
        raise ImportFailed(f"{path}: the file has a header but no rows")
    parser = CellParser(frame, map_columns(kind, list(frame.columns)))
    if kind == "customers":
        return load_customers(
            session,
            parser,
            team_id=team_id,
            default_currency=default_currency,
            on_progress=on_progress,
        )
    if kind == "purchases":
        return load_purchases(
            session,
            parser,
            team_id=team_id,
            tz=tz,
            dayfirst=dayfirst,
            default_currency=default_currency,
            on_progress=on_progress,
        )
    if kind == "interactions":
        return load_interactions(
            session, parser, team_id=team_id, tz=tz, dayfirst=dayfirst, on_progress=on_progress
        )
    return load_nps(
        session, parser, team_id=team_id, tz=tz, dayfirst=dayfirst, on_progress=on_progress
    )
