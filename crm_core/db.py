"""Opening the database: one engine per URL, migrated to the latest schema on first use."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from crm_core.settings import Settings

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


# Every engine of this process: a forked child (a gunicorn worker) must not use the
# connections its parent opened, or both talk over one socket and PostgreSQL's protocol
# falls out of step ("lost synchronization with server").
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_parent_connections() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)  # the parent keeps its connections; the child opens anew


os.register_at_fork(after_in_child=_forget_parent_connections)


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for a SQLite file or a PostgreSQL server, tuned for both; the pool sizes
    are PostgreSQL's connections per process (SQLite has one file, not connections)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
        )
    _ENGINES.add(engine)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration, pointing at our migrations and the given engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    command.upgrade(alembic_config(engine), "head")


@cache
def open_engine(url: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """The process-wide engine for a URL, creating or upgrading its schema the first time."""
    engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    if not schema_is_current(engine):
        logger.info("upgrading the database schema at %s", engine.url.render_as_string())
        upgrade(engine)
    return engine


def engine_for(settings: Settings) -> Engine:
    """The process-wide engine of the settings' database, with their pool sizes."""
    return open_engine(
        settings.database_url_with_password,
        settings.database_pool_size,
        settings.database_max_overflow,
    )


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends without error and rolls back otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
