"""Bulk writes for imports: chunked, and silent about rows that are already there."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

CHUNK = 20_000
Progress = Callable[[int, int], None]


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_new(
    session: Session,
    table: Table,
    rows: Callable[[int, int], list[dict[str, Any]]],
    total: int,
    *,
    unique: Sequence[str],
    team_id: str,
    on_progress: Progress | None = None,
) -> int:
    """Insert rows built chunk by chunk by `rows(start, stop)`, skipping any whose `unique`
    columns are already taken, and return how many were new.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(unique))
    before = count_rows(session, table, team_id=team_id)
    for start in range(0, total, CHUNK):
        stop = min(start + CHUNK, total)
        session.execute(statement, rows(start, stop))
        if on_progress:
            on_progress(stop, total)
    return count_rows(session, table, team_id=team_id) - before


def count_rows(session: Session, table: Table, *, team_id: str) -> int:
    """How many rows of `table` the workspace has."""
    return session.execute(
        select(func.count()).select_from(table).where(table.c.team_id == team_id)
    ).scalar_one()
