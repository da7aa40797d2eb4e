"""export from Slack: files only in the admin's direct message; a rep refused; workspace
admins recognised from users.info."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from crm_core.customers import create_customer
from crm_core.db import unit_of_work
from tests.bot_server import assert_slack_would_accept, running_bot
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import SlackSender

ADMIN, OWNER, REP = "U0ADMIN01", "U0OWNER01", "U0REP0001"


@pytest.fixture
def emulator(emulator: SlackEmulator) -> SlackEmulator:
    emulator.users[OWNER] = {"is_owner": True}  # the workspace's owner, not in app.yaml
    return emulator


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator) -> Iterator[SlackSender]:
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Acme Corp", email="buy@acme.example")
    with running_bot(engine, emulator, admins=[ADMIN]) as sender:
        emulator.reset()
        yield sender
    assert_slack_would_accept(emulator)


def test_an_export_goes_only_to_the_admin_who_asked(slack, emulator):
    reply = slack.slash("export acme share", user=ADMIN, response_url=emulator.response_url())
    message = reply.json()
    assert message["response_type"] == "ephemeral"  # `share` does not share personal data
    assert "buy@acme.example" not in json.dumps(message)
    [done] = emulator.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == f"D{ADMIN}"
    assert [c.args["users"] for c in emulator.calls_to("conversations.open")] == [ADMIN]
    uploaded = b"".join(emulator.uploads.values())
    assert b"buy@acme.example" in uploaded and b"Acme Corp" in uploaded


def test_a_workspace_owner_is_an_admin_and_a_rep_is_refused(slack, emulator):
    reply = slack.slash("export acme", user=REP, response_url=emulator.response_url())
    assert "only an admin can export" in json.dumps(reply.json())
    assert emulator.calls_to("files.completeUploadExternal") == []
    slack.slash("export acme", user=OWNER, response_url=emulator.response_url())
    [done] = emulator.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == f"D{OWNER}"
