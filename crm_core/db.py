"""Opening the database: one engine per URL, migrated to the latest schema on first use."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, create_engine

from crm_core.errors import DatabaseGone
from crm_core.private_files import create_private_file
from crm_core.settings import Settings

if TYPE_CHECKING:  # alembic loads only to migrate: importing it costs a tenth of a second
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The lines of a revision file naming it and its parent, e.g. `down_revision: str | None = '0011'`.
_REVISION_LINE = re.compile(
    r"^(revision|down_revision)\b[^=\n]*=\s*(?:'([^']*)'|\"([^\"]*)\"|None)", re.M
)


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
        path = _sqlite_file(engine)
        if path is not None:
            create_private_file(path)  # 0600 before SQLite makes it 0644
            _SqliteFileGuard(path).watch(engine)
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


def stop_on_ctrl_c(engine: Engine) -> None:
    """Let Ctrl-C stop a SQLite statement midway, as a KeyboardInterrupt, for the console.

    SQLite runs a statement in C and looks at no signal until it is done, however long that
    takes. A progress handler runs a line of Python every 100,000 steps, where a pending
    Ctrl-C raises; SQLite then aborts the statement ("interrupted"), which is turned back
    into the KeyboardInterrupt. Not for the bot: in a threaded server each call would wait
    for the GIL. psycopg cancels a PostgreSQL query on Ctrl-C by itself.
    """
    if engine.dialect.name == "sqlite" and not event.contains(
        engine, "checkout", _check_for_ctrl_c
    ):
        event.listen(engine, "checkout", _check_for_ctrl_c)
        event.listen(engine, "handle_error", _interrupted_by_ctrl_c)


def _check_for_ctrl_c(dbapi_connection, _record, _proxy) -> None:
    dbapi_connection.set_progress_handler(_steps, 100_000)


def _steps() -> int:
    return 0  # go on; a Ctrl-C raises before this line runs


def _interrupted_by_ctrl_c(context) -> BaseException | None:
    error = context.original_exception
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
        return KeyboardInterrupt()
    return None


def _sqlite_file(engine: Engine) -> Path | None:
    """The file a SQLite engine opens, or None for an in-memory database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).absolute()


class _SqliteFileGuard:
    """Refuses connections once the file an engine first opened is gone or another one.

    SQLite goes on writing into a deleted file through the connections that had it open,
    and a new connection creates a new empty file in its place: either way what is written
    is lost without a word. A file identity is its device and inode, as SQLite's own
    SQLITE_FCNTL_HAS_MOVED check compares them.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None  # of the file at the first connection

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "do_connect", self._before_connect)
        event.listen(engine, "checkout", self._on_checkout)

    def _current(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def _before_connect(self, _dialect, _record, _cargs, _cparams) -> None:
        # Connecting would create a new empty file where the database was.
        if self.identity is not None and self._current() is None:
            raise DatabaseGone(self._explain(None))

    def _on_checkout(self, _dbapi_connection, _record, _proxy) -> None:
        current = self._current()
        if self.identity is None:
            self.identity = current
        elif current != self.identity:
            raise DatabaseGone(self._explain(current))  # the pool drops this connection

    def _explain(self, current: tuple[int, int] | None) -> str:
        what = "deleted" if current is None else "replaced by another file"
        return (
            f"the database file {self.path} was {what} after this process opened it, so "
            "nothing was saved. Put the file back, or restart: a new start creates a new "
            "empty database there (`crm db upgrade` creates it without starting anything)"
        )


def alembic_config(engine: Engine | None) -> Config:
    """Alembic's configuration, pointing at our migrations and the given engine."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@cache
def head_revision() -> str | None:
    """The newest migration's id, read from the revision files' text.

    Every start checks the schema; alembic's ScriptDirectory would import alembic and
    every revision file for it. A chain this parse cannot follow (a merge, two heads) is
    left to alembic.
    """
    parents: dict[str, str | None] = {}
    for file in sorted(MIGRATIONS.glob("versions/*.py")):
        found = {
            key: one or two or None for key, one, two in _REVISION_LINE.findall(file.read_text())
        }
        if not found.get("revision") or "down_revision" not in found:
            return _alembic_head()
        parents[found["revision"]] = found["down_revision"]
    heads = set(parents) - set(parents.values())
    if len(heads) != 1:
        return _alembic_head()
    return heads.pop()


def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stamped = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return set(stamped) == {head_revision()}


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def migrate_once(engine: Engine) -> None:
    """Create or upgrade the schema unless it is current, one process at a time.

    Two processes starting on a new database (gunicorn's workers, two instances) would
    both find no schema and both create it; the second fails "table customer already
    exists". Under the lock the second finds the schema made and leaves it. PostgreSQL's
    lock is an advisory lock the migration itself takes (migrations/env.py); SQLite's is
    a lock on the database file.
    """
    with _sqlite_schema_lock(engine):
        if not schema_is_current(engine):
            logger.info("upgrading the database schema at %s", engine.url.render_as_string())
            upgrade(engine)


@contextmanager
def _sqlite_schema_lock(engine: Engine) -> Iterator[None]:
    """An exclusive flock on the SQLite file (SQLite's own locks are fcntl byte ranges,
    which flock does not touch); nothing to lock for an in-memory database or PostgreSQL."""
    path = _sqlite_file(engine) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@cache
def open_engine(url: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """The process-wide engine for a URL, creating or upgrading its schema the first time."""
    engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    if not schema_is_current(engine):
        migrate_once(engine)
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
