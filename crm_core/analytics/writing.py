"""Writing a workspace's scores fast: a million rows through the driver's bulk path."""

from __future__ import annotations

import math

import pandas as pd
from sqlmodel import Session

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


def write_scores(session: Session, *, team_id: str, fit_id: int, scores: pd.DataFrame) -> None:
    """Insert one customer_score row per customer of `scores` (indexed by customer_id).

    The ORM would build a million objects; instead rows go as tuples to sqlite3's
    executemany or psycopg's COPY, inside the session's transaction.
    """
    rows = _rows(team_id, fit_id, scores)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY customer_score ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    cursor = connection.connection.cursor()
    placeholders = ", ".join("?" for _ in COLUMNS)
    statement = f"INSERT INTO customer_score ({', '.join(COLUMNS)}) VALUES ({placeholders})"
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
