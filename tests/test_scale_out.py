"""Several bot instances on one PostgreSQL, as behind a load balancer: `crm serve` twice
(two gunicorn workers each), 1,000 signed `log` requests spread over both at concurrency 20,
and an Events API retry delivered to the other instance."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from crm_core.models import Interaction
from tests.conftest import POSTGRES_URL, _empty
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SIGNING_SECRET, SlackSender
from tests.test_serve import CRM, free_port, wait_healthy

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs CRM_TEST_POSTGRES_URL")
REQUESTS, CONCURRENCY = 1_000, 20


@pytest.fixture
def database(postgres_engine: Engine) -> Iterator[Engine]:
    _empty(postgres_engine)
    with unit_of_work(postgres_engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp")
    yield postgres_engine
    _empty(postgres_engine)


@pytest.fixture
def two_instances(database: Engine, tmp_path) -> Iterator[tuple[list[SlackSender], SlackEmulator]]:
    with SlackEmulator() as emulator:
        env = os.environ | {
            "CRM_DATABASE_URL": database.url.render_as_string(hide_password=False),
            "CRM_TEAM_ID": "T1",
            "SLACK_BOT_TOKEN": "xoxb-scale-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.base_url,
        }
        env.pop("SLACK_APP_TOKEN", None)
        processes, senders = [], []
        try:
            for _ in range(2):
                port = free_port()
                command = [CRM, "serve", "--host", "127.0.0.1", "--port", str(port)]
                processes.append(
                    subprocess.Popen(
                        [*command, "--workers", "2", "--no-scheduler"],
                        env=env,
                        cwd=tmp_path,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                    )  # fmt: skip
                )
                wait_healthy(f"http://127.0.0.1:{port}/healthz", processes[-1], seconds=60)
                senders.append(SlackSender(f"http://127.0.0.1:{port}/slack/events"))
            yield senders, emulator
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


def summaries(engine: Engine) -> Counter:
    with unit_of_work(engine) as session:
        return Counter(session.exec(select(Interaction.summary)).scalars().all())


def test_two_instances_store_every_log_exactly_once(two_instances, database):
    senders, emulator = two_instances

    def send(i: int) -> int:
        text = f"log call with Acme Corp: scale check {i:04d}"
        return senders[i % 2].slash(text, response_url=emulator.response_url(f"r{i}")).status

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        statuses = list(pool.map(send, range(REQUESTS)))
    assert Counter(statuses) == {200: REQUESTS}
    stored = summaries(database)
    wanted = {f"scale check {i:04d}" for i in range(REQUESTS)}
    assert {s for s in stored if s.startswith("scale check")} == wanted  # none lost
    assert all(stored[s] == 1 for s in wanted)  # none twice


def test_a_retry_sent_to_the_other_instance_is_still_deduplicated(two_instances, database):
    (first, second), emulator = two_instances
    event = {
        "type": "app_mention",
        "user": "U0REP0001",
        "text": "<@U0CRMBOT> log call with Acme Corp: retried across instances",
        "ts": "1700000000.000100",
        "channel": "C0SALES",
        "event_ts": "1700000000.000100",
    }
    assert first.event(event, event_id="Ev0SCALE01").status == 200
    assert second.event(event, event_id="Ev0SCALE01", retry=1).status == 200
    emulator.wait_for("chat.postMessage", timeout=20)
    time.sleep(1)  # time for a second answer, if the retry were handled again
    assert summaries(database)["retried across instances"] == 1
    with unit_of_work(database) as session:
        logged = session.exec(select(func.count()).select_from(Interaction)).scalar_one()
    assert logged == 1
    posts = [c for c in emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert len(posts) == 1
