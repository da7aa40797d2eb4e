"""What every benchmark script prints first and checks the same way."""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import shlex
import sys
from collections.abc import Iterator

from sqlalchemy import create_engine, make_url, text


def print_header(*details: str) -> None:
    """The command that ran and the machine it ran on (plus any `details`, e.g. versions)."""
    print("command:", shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    machine = [f"nproc={os.cpu_count()}", f"python {platform.python_version()}", *details]
    print("machine:", ", ".join([*machine, f"{platform.system()} {platform.machine()}"]))


def postgres_problem(admin_url: str | None) -> str | None:
    """Why PostgreSQL cannot be measured, or None when it can."""
    if not admin_url:
        return "no --postgres-url given and CRM_TEST_POSTGRES_URL is not set"
    try:
        engine = create_engine(admin_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver or network error means "not measured", not a crash
        return f"{admin_url} is unreachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def print_table(header: list[str], lines: list[list[str]], left: int = 1) -> None:
    """A table of strings: the first `left` columns aligned left, the rest right."""
    table = [header, *lines]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(cells)))


@contextlib.contextmanager
def fresh_postgres(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of `admin_url`; its URL. Dropped at the end
    whatever happens (WITH (FORCE) also closes the connections still open to it)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
