"""Writing many rows fast: through the driver's bulk path rather than the ORM."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import delete, select, text
from sqlmodel import Session

from crm_core.models import CustomerScore

COLUMNS = (
    "team_id",
    "customer_id",
    "fit_id",
    "frequency",
    "recency",
    "age",
    "monetary_value",
    "expected_purchases",
    "p_alive",
    "clv",
    "value_at_risk",
)
CHUNK = 50_000
# From this many customers a SQLite refresh builds the ranking indexes anew after writing.
_REINDEX_ABOVE = 50_000


def write_scores(session: Session, *, team_id: str, fit_id: int, scores: pd.DataFrame) -> None:
    """Insert one customer_score row per customer of `scores` (indexed by customer_id)."""
    bulk_insert(session, "customer_score", COLUMNS, _rows(team_id, fit_id, scores))


def bulk_insert(session: Session, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert many rows inside the session's transaction, without the ORM's per-object cost.

    Rows go as tuples to psycopg's COPY or sqlite3's executemany.
    """
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = connection.connection.cursor()
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
    try:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(statement, rows[start : start + CHUNK])
    finally:
        cursor.close()


def _rows(team_id: str, fit_id: int, scores: pd.DataFrame) -> list[tuple]:
    columns = [
        scores.index.to_numpy(),
        scores["frequency"].to_numpy(),
        scores["recency"].to_numpy(),
        scores["T"].to_numpy(),
        scores["monetary_value"].to_numpy(),
        scores["expected_purchases"].to_numpy(),
        scores["p_alive"].to_numpy(),
        scores["clv"].to_numpy(),
        scores["value_at_risk"].to_numpy(),
    ]
    return [
        (
            team_id,
            int(c),
            fit_id,
            int(f),
            float(r),
            float(t),
            float(m),
            _number(e),
            _number(p),
            float(v),
            _number(x),
        )
        for c, f, r, t, m, e, p, v, x in zip(*columns, strict=True)
    ]


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


@contextmanager
def replacing_scores(session: Session, *, team_id: str, customers: int) -> Iterator[None]:
    """Delete the workspace's scores; the caller writes the new ones inside the `with`.

    On SQLite, a workspace that holds every score row empties the table at once (SQLite's
    truncate optimisation instead of a million deletes), and a large refresh drops the
    ranking indexes while it writes and builds them again after (one sort instead of a
    million scattered inserts). Readers see the old scores until the commit either way (WAL).
    PostgreSQL gets a plain DELETE: dropping an index there would lock readers out.
    """
    table = CustomerScore.__table__
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    others = sqlite and (
        session.execute(
            select(CustomerScore.team_id)
            .where((CustomerScore.team_id < team_id) | (CustomerScore.team_id > team_id))
            .limit(1)
        ).first()
        is not None
    )
    rebuilt = [index for index in table.indexes if sqlite and customers >= _REINDEX_ABOVE]
    for index in rebuilt:
        index.drop(connection)
    if sqlite and not others:
        session.execute(text("DELETE FROM customer_score"))
    else:
        session.execute(delete(CustomerScore).where(CustomerScore.team_id == team_id))
    yield
    for index in rebuilt:
        index.create(connection)
