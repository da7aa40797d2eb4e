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
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_LOCK})
                connection.commit()


run_migrations_online()
