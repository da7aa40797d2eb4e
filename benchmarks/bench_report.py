"""What every benchmark script prints first and checks the same way."""

from __future__ import annotations

import os
import platform
import shlex
import sys

from sqlalchemy import create_engine, text


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
