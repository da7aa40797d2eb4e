"""Alembic environment: runs migrations on the engine handed over by crm_core.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import crm_core.models  # noqa: F401  (registers every table on the metadata)

config = context.config
target_metadata = SQLModel.metadata
# Several bot instances may start together on one PostgreSQL: one migrates, the others wait.
_ADVISORY_LOCK = 7_311_957


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        sqlite = connection.dialect.name == "sqlite"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK})
            connection.commit()
        if sqlite:
            # SQLite alters a table by copying it; with foreign keys on, dropping the old copy
            # fails while other tables point at it. The pragma only works outside a transaction.
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()  # the pragma above left a transaction open that alembic joined
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK})
                connection.commit()


run_migrations_online()
