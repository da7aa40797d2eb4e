"""Fresh real databases for every test: a SQLite file, and PostgreSQL when one is given.

Set CRM_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
every database test on PostgreSQL too; the suite then fails, never skips, if it is down.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from crm_core.db import open_engine, unit_of_work

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A database of its own on the given server, migrated once, dropped at the end."""
    assert POSTGRES_URL
    server = make_url(POSTGRES_URL)
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite must fail, not skip, when PostgreSQL is down
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}", pytrace=False)
    engine = open_engine(server.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'crm.db'}")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    _empty(engine)
    yield engine
    _empty(engine)


def _empty(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A unit of work that commits at the end of the test, as front ends do."""
    with unit_of_work(engine) as session:
        yield session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: nothing may quietly go unrun."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("CRM_REQUIRE_POSTGRES") and not POSTGRES_URL:
        raise pytest.UsageError("CRM_REQUIRE_POSTGRES is set but CRM_TEST_POSTGRES_URL is not")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with nobody having run a heavy verb (the limits live in memory)."""
    from commands.rate_limits import forget_runs

    forget_runs()


@pytest.fixture
def bot(engine):
    """The chat language as the console drives it, on a fresh database."""
    from tests.chat import ChatBot

    return ChatBot(engine)


@pytest.fixture
def slack():
    """A bare Slack Web API emulator, for the tests of the emulator itself."""
    from tests.slack_emulator import SlackEmulator

    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(slack):
    """A plain slack_sdk WebClient talking to `slack`."""
    from slack_sdk import WebClient

    return WebClient(token="xoxb-test", base_url=slack.base_url)


@pytest.fixture
def emulator():
    """The Slack Web API emulator, accepting the bot token the test bots use; test modules
    that need channels, users or other tokens take this one and configure it."""
    from tests.bot_server import BOT_TOKEN
    from tests.slack_emulator import SlackEmulator

    with SlackEmulator() as emulator:
        emulator.tokens.add(BOT_TOKEN)
        yield emulator


@pytest.fixture
def oauth(engine: Engine, monkeypatch) -> Iterator[Engine]:
    """Multi-workspace mode (OAuth app, sealing key) on `engine`; slack_sdk's tables are
    dropped before and after, as they are not the CRM's (the migrations test compares those)."""
    from tests.oauth_install import drop_slack_tables, oauth_environment

    oauth_environment(monkeypatch)
    drop_slack_tables(engine)
    yield engine
    drop_slack_tables(engine)
