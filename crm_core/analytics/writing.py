"""Writing many rows fast: through the driver's bulk path rather than the ORM."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

CHUNK = 50_000


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
