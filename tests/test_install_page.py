"""The public install page cannot fill the database: expired OAuth states are purged and each
client may open the page only so often (429 with Retry-After past that)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, MetaData, func, select

from bot.install_page import PER_CLIENT, InstallPageLimiter
from bot.slack_ids import INSTALL_PATH
from tests.bot_server import running_bot
from tests.oauth_install import get, install


def states(engine: Engine):
    metadata = MetaData()
    metadata.reflect(engine, only=["slack_oauth_states"])
    return metadata.tables["slack_oauth_states"]


def state_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(states(engine))).scalar()


def test_one_client_opening_the_page_200_times_is_refused_past_its_limit(oauth, emulator):
    with running_bot(oauth, emulator) as sender:
        page = sender.url.removesuffix("/slack/events") + INSTALL_PATH
        answers = [get(page) for _ in range(200)]
    allowed, _ = PER_CLIENT
    assert [status for status, _, _ in answers].count(200) == allowed
    refused = [answer for answer in answers if answer[0] == 429]
    assert len(refused) == 200 - allowed
    status, body, retry_after = refused[0]
    assert 1 <= int(retry_after) <= 60 and "try again in" in body
    assert state_rows(oauth) == allowed


def test_expired_states_are_purged_when_a_new_one_is_issued(oauth, emulator):
    with running_bot(oauth, emulator) as sender:
        install(sender, emulator, "T2")  # makes the tables and consumes its own state
        table = states(oauth)
        past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
        with oauth.begin() as connection:
            connection.execute(
                table.insert(), [{"state": f"old-{n}", "expire_at": past} for n in range(50)]
            )
        assert state_rows(oauth) == 50
        status, _, _ = get(sender.url.removesuffix("/slack/events") + INSTALL_PATH)
    assert status == 200
    with oauth.connect() as connection:
        assert (
            connection.execute(
                select(func.count()).select_from(table).where(table.c.state.like("old-%"))
            ).scalar()
            == 0
        )
    assert state_rows(oauth) == 1


def test_the_limit_lifts_after_its_window_and_counts_every_client_together():
    now = [0.0]
    limiter = InstallPageLimiter(per_client=(2, 60), all_clients=(3, 60), clock=lambda: now[0])
    assert [limiter.retry_after("a") for _ in range(3)] == [0, 0, 60]
    assert limiter.retry_after("b") == 0
    assert limiter.retry_after("c") == 60  # three openings in all this minute
    now[0] = 45.0
    assert limiter.retry_after("a") == 15
    now[0] = 61.0
    assert limiter.retry_after("a") == 0
