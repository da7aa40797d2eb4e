"""A first start on a new database: `crm serve` with several workers, and instances side by
side, create the schema once instead of racing to create it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from crm_core.db import head_revision
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET
from tests.test_serve import CRM, free_port, wait_healthy

# The code under test, not whichever checkout the installed `crm` command points at.
SOURCE = str(Path(__file__).resolve().parents[1])


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of a database nobody has opened: a SQLite file not yet there, or an empty
    PostgreSQL database of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    assert POSTGRES_URL
    server = make_url(POSTGRES_URL)
    name = f"test_input_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def assert_schema_made_once(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            stamps = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables
    assert [row[0] for row in stamps] == [head_revision()]


# Without the scheduler (alerts from cron) no thread of the master opens the database first.
@pytest.mark.parametrize("scheduler", ["--scheduler", "--no-scheduler"])
def test_crm_serve_with_four_workers_starts_on_a_new_database(new_database, scheduler, tmp_path):
    assert CRM, "the crm command is not installed next to this Python"
    port = free_port()
    with SlackEmulator() as emulator:
        env = os.environ | {
            "CRM_DATABASE_URL": new_database,
            "SLACK_BOT_TOKEN": "xoxb-first-start",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.base_url,
            "PYTHONPATH": SOURCE,
        }
        env.pop("SLACK_APP_TOKEN", None)
        process = subprocess.Popen(
            [CRM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "4", scheduler],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process, seconds=60)
        finally:
            process.terminate()
            try:
                _, errors = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail("crm serve did not stop on SIGTERM")
    assert b"already exists" not in errors and b"Worker failed to boot" not in errors
    assert_schema_made_once(new_database)


# Run as a separate process: what a second instance (or a worker) does when it starts.
_OPEN = "import sys; from crm_core.db import open_engine; open_engine(sys.argv[1])"


def test_instances_starting_together_on_a_new_database_migrate_it_once(new_database):
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, new_database],
            env=os.environ | {"PYTHONPATH": SOURCE},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    failures = [p.communicate(timeout=120)[1].decode()[-1500:] for p in starts]
    assert [p.returncode for p in starts] == [0] * 4, failures
    assert_schema_made_once(new_database)
