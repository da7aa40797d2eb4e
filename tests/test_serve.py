"""`crm serve` as it runs in production: gunicorn workers answering signed requests."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.server import keep_freed_memory
from crm_core.customers import create_customer
from crm_core.db import open_engine, unit_of_work
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender

CRM = shutil.which("crm", path=str(Path(sys.executable).parent))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"crm serve exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("crm serve did not become healthy in time")


def test_crm_serve_answers_signed_requests_with_several_workers(tmp_path):
    assert CRM, "the crm command is not installed next to this Python"
    database = f"sqlite:///{tmp_path / 'crm.db'}"
    with unit_of_work(open_engine(database)) as session:
        create_customer(session, team_id="T1", name="Acme Corp")
    port = free_port()
    with SlackEmulator() as emulator:
        env = os.environ | {
            "CRM_DATABASE_URL": database,
            "SLACK_BOT_TOKEN": "xoxb-serve-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.base_url,
        }
        env.pop("SLACK_APP_TOKEN", None)
        process = subprocess.Popen(
            [CRM, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events")
            for _ in range(4):  # spread over both workers
                reply = sender.slash("customer acme", response_url=emulator.response_url())
                assert reply.status == 200
                assert "Acme Corp" in reply.body.decode()
            forged = sender.slash("customer acme", response_url="x", secret="not-the-secret")
            assert forged.status == 401
        finally:
            process.terminate()
            try:
                _, errors = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                pytest.fail("crm serve did not stop on SIGTERM")
    assert b"xoxb-serve-test" not in errors and SIGNING_SECRET.encode() not in errors


def test_the_server_keeps_freed_memory_where_the_c_library_is_glibc():
    # mallopt refuses values out of range with 0: the thresholds must be ones glibc accepts.
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc


def _connection_identity(connection) -> object:
    """Which database connection this is: PostgreSQL's backend pid, or the SQLite handle."""
    if connection.dialect.name == "postgresql":
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return id(connection.connection.dbapi_connection)


def test_a_forked_child_does_not_reuse_its_parents_connections(engine):
    """What gunicorn does: the master opened the database (its scheduler) before forking.
    A child that used the parent's pooled connection would share its socket."""
    with engine.connect() as connection:
        parents = _connection_identity(connection)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            with engine.connect() as connection:
                os.write(write, b"new" if _connection_identity(connection) != parents else b"old")
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 3) == b"new"
    with engine.connect() as connection:  # the parent's pooled connections still work
        assert connection.exec_driver_sql("SELECT 41 + 1").scalar() == 42
