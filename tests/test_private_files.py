"""Files holding customer data are the owner's alone: the SQLite database (and its WAL) 0600 in
a folder made 0700, and the files `crm ask "export …"` writes 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from commands.cli import cli
from crm_core.customers import create_customer
from crm_core.db import open_engine, unit_of_work
from crm_core.private_files import write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual umask, which leaves new files readable by everyone (0644)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_database_is_0600_in_a_new_0700_folder(tmp_path, open_umask):
    os.chmod(tmp_path, 0o755)
    path = tmp_path / "data" / "crm" / "crm.db"
    engine = open_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (x INTEGER)"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert mode(Path(f"{path}-wal")) == 0o600  # SQLite gives its WAL the database's mode
    assert mode(tmp_path) == 0o755  # a folder that was there already is left as it was
    engine.dispose()


def test_an_existing_database_keeps_its_mode(tmp_path, open_umask):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    open_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o640


def test_export_files_from_the_console_are_0600(tmp_path, monkeypatch, open_umask):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    with unit_of_work(open_engine(url)) as session:
        create_customer(session, team_id="TCLI", name="Acme Corp", email="buy@acme.test")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_TEAM_ID", "TCLI")
    result = CliRunner().invoke(cli, ["ask", "export acme"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = sorted(work.iterdir())
    assert written and all(mode(file) == 0o600 for file in written), [
        (file.name, oct(mode(file))) for file in written
    ]
    assert any("buy@acme.test" in file.read_text() for file in written)


def test_overwriting_a_readable_file_makes_it_private(tmp_path, open_umask):
    path = tmp_path / "customer.json"
    path.write_text("old")
    assert mode(path) == 0o644
    write_private(path, b"new")
    assert mode(path) == 0o600 and path.read_bytes() == b"new"
