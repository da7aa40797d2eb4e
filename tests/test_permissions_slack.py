"""Who may do what, through every Slack entry point, compared with commands.permissions.

Each entry point (slash command, mention, direct message, message button, App Home button,
App Home tab, log modal and its picker, the digest's buttons) is driven as each role: a
workspace admin, a rep, a guest (users.info is_restricted / is_ultra_restricted) and a user
of another organisation (a Slack Connect payload naming their own team, users.info agreeing).
A refusal holds none of the customer's data; a choice acts only for whom it was offered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot import identity
from bot.listeners.slash import WORKING
from bot.slack_ids import LOG_GLOBAL_SHORTCUT, LOG_MESSAGE_SHORTCUT
from commands.permissions import ACCESS, may
from commands.registry import VERBS as REGISTRY
from crm_core.customers import add_contact, create_customer
from crm_core.db import unit_of_work
from crm_core.interactions import log_interaction
from crm_core.models import Interaction
from crm_core.models.alerts import AlertFeedback
from crm_core.settings import Settings
from reports import views
from reports.action_ids import LOG_BUTTON, RUN_COMMAND, SNOOZE_BUTTON
from tests.bot_server import assert_slack_would_accept, running_bot
from tests.slack_emulator import SlackEmulator
from tests.slack_requests import Reply, SlackSender

ADMIN, ADMIN2, REP = "U0ADMIN01", "U0ADMIN02", "U0REP0001"
GUEST, GUEST2, OUTSIDER = "U0GUEST01", "U0GUEST02", "U0OUTSIDE"
PARTNER_TEAM = "T0PARTNER"  # the other organisation of the Slack Connect channel
ROLE_USERS = {"admin": ADMIN, "rep": REP, "guest": GUEST, "external": OUTSIDER}
# What must never reach a guest or an outsider who is refused.
SECRETS = ("buy@acme.example", "+1 555 0100", "renewal at 12% off")
# A read, a write and an admin verb, each with how to tell that it ran.
VERBS = {
    "customer": "customer acme",
    "log": "log note with acme: called about the invoice",
    "audit": "audit",
}
ENTRY_POINTS = ("slash", "mention", "dm", "message_button", "home_button")


@pytest.fixture
def emulator(emulator: SlackEmulator) -> SlackEmulator:
    emulator.users[ADMIN] = {"is_admin": True}
    emulator.users[ADMIN2] = {"is_owner": True}
    emulator.users[GUEST] = {"is_restricted": True}
    emulator.users[GUEST2] = {"is_restricted": True, "is_ultra_restricted": True}
    # An admin of their own workspace: still external here.
    emulator.users[OUTSIDER] = {"team_id": PARTNER_TEAM, "is_admin": True}
    return emulator


@pytest.fixture
def customer_id(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        acme = create_customer(session, team_id="T1", name="Acme Corp", email="buy@acme.example")
        add_contact(
            session, team_id="T1", customer_id=acme.id, name="Ann Buyer", phone="+1 555 0100"
        )
        log_interaction(
            session, team_id="T1", customer_id=acme.id, kind="note",
            summary="renewal at 12% off", author_user_id=REP, source="console",
        )  # fmt: skip
        return acme.id


@pytest.fixture
def slack(engine: Engine, emulator: SlackEmulator, customer_id: int) -> Iterator[SlackSender]:
    with running_bot(engine, emulator) as sender:
        emulator.reset()
        yield sender
    assert_slack_would_accept(emulator)


def posted(emulator: SlackEmulator, *replies: Reply) -> str:
    """Everything the bot said: acknowledgements, messages, views and uploads."""
    said = [reply.body.decode() for reply in replies]
    said += [json.dumps(call.args, default=str) for call in emulator.calls]
    said += [data.decode(errors="replace") for data in emulator.uploads.values()]
    return "\n".join(said)


def interactions(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Interaction)).scalar_one()


def send(slack: SlackSender, emulator: SlackEmulator, entry: str, text: str, user: str) -> str:
    """`text` through one entry point as `user`; everything the bot answered."""
    outside = PARTNER_TEAM if user == OUTSIDER else None
    if entry == "slash":
        reply = slack.slash(text, user=user, response_url=emulator.response_url())
        if WORKING in reply.body.decode():
            emulator.wait_for("response_url")
        return posted(emulator, reply)
    if entry == "mention":
        reply = slack.mention(text, user=user, user_team=outside)
        emulator.wait_for("chat.postMessage")
    elif entry == "dm":
        reply = slack.direct_message(text, user=user, user_team=outside)
        emulator.wait_for("chat.postMessage")
    elif entry == "message_button":
        reply = slack.click(
            f"{RUN_COMMAND}:0", text, user=user, user_team=outside,
            response_url=emulator.response_url(),
        )  # fmt: skip
        emulator.wait_for("response_url")
    else:  # a button on the App Home: answered in a direct message
        reply = slack.click(f"{RUN_COMMAND}:0", text, user=user, user_team=outside)
        emulator.wait_for("chat.postMessage")
    assert reply.status == 200
    return posted(emulator, reply)


CASES = [
    pytest.param(entry, role, verb, id=f"{entry}-{role}-{verb}")
    for entry in ENTRY_POINTS
    for role in ROLE_USERS
    for verb in VERBS
]


@pytest.mark.parametrize(("entry", "role", "verb"), CASES)
def test_every_entry_point_follows_the_permissions_table(
    slack, emulator, engine, entry, role, verb
):
    allowed = may(role, verb, Settings())
    before = interactions(engine)
    said = send(slack, emulator, entry, VERBS[verb], ROLE_USERS[role])
    if verb == "customer":
        assert ("buy@acme.example" in said) is allowed, said
    elif verb == "log":
        assert (interactions(engine) == before + 1) is allowed, said
    else:
        assert ("Audit log" in said) is allowed, said
    if not allowed and role in ("guest", "external"):
        for secret in SECRETS:
            assert secret not in said


@pytest.mark.parametrize("user", [GUEST, GUEST2, OUTSIDER])
def test_a_guest_or_outsider_sees_no_customer_data_anywhere(slack, emulator, engine, user):
    before = interactions(engine)
    for text in ("customer acme", "find acme", "followups", "purchase acme -1000", "nps acme 9"):
        send(slack, emulator, "slash", text, user)
    said = posted(emulator)
    for secret in SECRETS + ("Acme Corp",):
        assert secret not in said
    assert interactions(engine) == before
    assert emulator.calls_to("files.completeUploadExternal") == []


def test_the_slack_connect_payload_alone_makes_a_user_external(slack, emulator):
    """users.info says nothing unusual; the event's user_team names another workspace."""
    emulator.reset()
    slack.mention("customer acme", user="U0PLAIN01", user_team=PARTNER_TEAM)
    [answer] = emulator.wait_for("chat.postMessage")
    assert "buy@acme.example" not in json.dumps(answer.args)
    slack.mention("customer acme", user="U0PLAIN01")
    answers = emulator.wait_for("chat.postMessage", 2)
    assert "buy@acme.example" in json.dumps(answers[1].args)


def test_a_button_click_from_another_organisation_is_refused(slack, emulator):
    """users.info says nothing unusual; the click's user.team_id names another workspace."""
    emulator.reset()
    slack.click(
        f"{RUN_COMMAND}:0", "customer acme", user="U0PLAIN02", user_team=PARTNER_TEAM,
        response_url=emulator.response_url(),
    )  # fmt: skip
    [answer] = emulator.wait_for("response_url")
    assert "buy@acme.example" not in json.dumps(answer.args)
    slack.click(
        f"{RUN_COMMAND}:0",
        "customer acme",
        user="U0PLAIN02",
        response_url=emulator.response_url("b"),
    )
    answers = emulator.wait_for("response_url", 2)
    assert "buy@acme.example" in json.dumps(answers[1].args)


def test_read_only_verbs_open_to_guests_and_outsiders_by_setting(engine, emulator, customer_id):
    security = {"guests": "read", "external_verbs": ["customer"]}
    with running_bot(engine, emulator, security=security) as slack:
        emulator.reset()
        for user in (GUEST, OUTSIDER):
            reply = slack.slash("customer acme", user=user, response_url=emulator.response_url())
            assert "buy@acme.example" in reply.body.decode()
            reply = slack.slash(
                "log note with acme: x", user=user, response_url=emulator.response_url()
            )
            assert "buy@acme.example" not in reply.body.decode()
        assert interactions(engine) == 1


def test_the_app_home_shows_a_guest_nothing(slack, emulator):
    slack.event({"type": "app_home_opened", "user": GUEST, "channel": "D0G", "tab": "home"})
    [published] = emulator.wait_for("views.publish")
    view = json.dumps(published.json("view"))
    assert "Guests of the workspace cannot" in view
    for secret in SECRETS + ("Acme Corp",):
        assert secret not in view


def test_the_log_modal_refuses_a_guest_at_every_step(slack, emulator, engine, customer_id):
    base = {"team": {"id": "T1"}, "user": {"id": GUEST, "team_id": "T1"}, "api_app_id": "A0CRM"}
    shortcut = {"type": "shortcut", "callback_id": LOG_GLOBAL_SHORTCUT, "trigger_id": "1.2.g"}
    assert slack.interaction(base | shortcut).status == 200
    [told] = emulator.wait_for("chat.postMessage")
    assert told.args["channel"] == GUEST and "cannot log" in told.args["text"]
    slack.click(
        f"{LOG_BUTTON}:0", str(customer_id), user=GUEST, response_url=emulator.response_url()
    )
    emulator.wait_for("response_url")
    on_message = {
        "type": "message_action", "callback_id": LOG_MESSAGE_SHORTCUT, "trigger_id": "1.2.m",
        "channel": {"id": "C0SALES"}, "response_url": emulator.response_url("m"),
        "message": {"type": "message", "ts": "1700000100.000300", "text": "renewal talk"},
    }  # fmt: skip
    assert slack.interaction(base | on_message).status == 200
    emulator.wait_for("response_url", 2)
    picker = {"type": "block_suggestion", "action_id": views.CUSTOMER_SELECT, "value": "acme"}
    assert slack.interaction(base | picker).json()["options"] == []
    reply = slack.interaction(base | _submission(customer_id))
    assert reply.json()["response_action"] == "errors"
    assert emulator.calls_to("views.open") == []
    assert interactions(engine) == 1
    for secret in SECRETS + ("Acme Corp",):
        assert secret not in posted(emulator, reply)


@pytest.mark.parametrize("role", ROLE_USERS)
def test_the_modal_submission_follows_the_permissions_table(slack, emulator, engine, role):
    user = ROLE_USERS[role]
    team = PARTNER_TEAM if role == "external" else "T1"
    base = {"team": {"id": "T1"}, "user": {"id": user, "team_id": team}, "api_app_id": "A0CRM"}
    reply = slack.interaction(base | _submission(1))
    allowed = may(role, "log", Settings())
    assert (interactions(engine) == 2) is allowed
    assert (reply.json().get("response_action") == "errors") is not allowed


@pytest.mark.parametrize("role", ROLE_USERS)
def test_the_app_home_tab_follows_the_permissions_table(slack, emulator, role):
    user = ROLE_USERS[role]
    event = {"type": "app_home_opened", "user": user, "channel": "D0H", "tab": "home"}
    if role == "external":
        event["user_team"] = PARTNER_TEAM
    slack.event(event)
    [published] = emulator.wait_for("views.publish")
    view = json.dumps(published.json("view"))
    shown = "Follow-ups" in view or "follow-ups" in view
    assert shown is may(role, "followups", Settings()), view


def _submission(customer_id: int) -> dict:
    option = {"text": {"type": "plain_text", "text": "Acme"}, "value": str(customer_id)}
    values = {
        views.CUSTOMER_BLOCK: {views.CUSTOMER_SELECT: {"selected_option": option}},
        views.SUMMARY_BLOCK: {views.SUMMARY_INPUT: {"value": "met at the fair"}},
    }
    view = {"id": f"V{time.monotonic_ns()}", "type": "modal", "callback_id": views.LOG_MODAL}
    return {"type": "view_submission", "view": view | {"state": {"values": values}}}


@pytest.mark.parametrize(("user", "stored"), [(REP, 1), (GUEST, 0), (OUTSIDER, 0)])
def test_digest_feedback_buttons_need_write_access(
    slack, emulator, engine, customer_id, user, stored
):
    outside = PARTNER_TEAM if user == OUTSIDER else None
    slack.click(
        f"{SNOOZE_BUTTON}:0", str(customer_id), user=user, user_team=outside,
        response_url=emulator.response_url(),
    )  # fmt: skip
    [answer] = emulator.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(AlertFeedback)).scalar_one()
    assert count == stored
    if not stored:
        assert "cannot snooze" in answer.args["text"]


def test_a_choice_offered_to_one_admin_does_nothing_for_another(slack, emulator, engine):
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Globex East", email="east@globex.example")
        create_customer(session, team_id="T1", name="Globex West", email="west@globex.example")
    reply = slack.slash("forget globex", user=ADMIN, response_url=emulator.response_url())
    buttons = _buttons(reply.json())
    assert buttons and all(json.loads(b["value"])["for"] == ADMIN for b in buttons)
    assert all(b["confirm"]["style"] == "danger" for b in buttons)  # each leads to an erase
    emulator.reset()
    slack.click(
        buttons[0]["action_id"], buttons[0]["value"], user=ADMIN2,
        response_url=emulator.response_url(),
    )  # fmt: skip
    [told] = emulator.wait_for("response_url")
    assert "offered to" in told.args["text"] and told.args["response_type"] == "ephemeral"
    assert "Erased" not in posted(emulator)
    with Session(engine) as session:
        names = set(session.execute(select(Interaction.summary)).scalars())  # untouched
    assert "renewal at 12% off" in names
    card = slack.slash("customer globex east", user=ADMIN, response_url=emulator.response_url())
    assert "east@globex.example" in card.body.decode()  # nothing was erased


def test_destructive_buttons_ask_slacks_confirm_first(slack, emulator, customer_id):
    forget = slack.slash(
        f"forget customer #{customer_id}", user=ADMIN, response_url=emulator.response_url()
    )
    logged = slack.slash(
        "log note with acme: short call", user=REP, response_url=emulator.response_url()
    )
    for reply, label in ((forget, "Erase"), (logged, "Undo")):
        [button] = [b for b in _buttons(reply.json()) if b["text"]["text"].startswith(label)]
        assert button["confirm"]["style"] == "danger"
        assert button["confirm"]["confirm"]["text"] and button["confirm"]["deny"]["text"]
        assert button["confirm"]["text"]["text"].strip()


def _buttons(message: dict) -> list[dict]:
    blocks = message.get("blocks") or []
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_demoted_admin_loses_admin_at_the_next_request(slack, emulator):
    reply = slack.slash("audit", user=ADMIN, response_url=emulator.response_url())
    assert "Audit log" in reply.body.decode()
    emulator.users[ADMIN] = {}  # no longer an admin of the workspace
    user_change = {"type": "user_change", "user": {"id": ADMIN, "team_id": "T0EMULATE"}}
    slack.event(user_change)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reply = slack.slash("audit", user=ADMIN, response_url=emulator.response_url())
        if "Audit log" not in reply.body.decode():
            break
        time.sleep(0.05)  # the event is handled just after its acknowledgement
    assert "Audit log" not in reply.body.decode()
    assert identity.TTL_SECONDS <= 60  # without user_change, a minute at most


def test_a_mention_in_a_shared_channel_answers_the_asker_alone(slack, emulator):
    slack.mention("customer acme", user=REP, ext_shared=True)
    [answer] = emulator.wait_for("chat.postEphemeral")
    assert answer.args["user"] == REP and answer.args["channel"] == "C0SALES"
    assert "buy@acme.example" in json.dumps(answer.args)
    assert emulator.calls_to("chat.postMessage") == []


def test_a_mention_in_a_channel_conversations_info_calls_shared_is_ephemeral(slack, emulator):
    emulator.channels["C0SALES"] = {"name": "sales", "is_member": True, "is_ext_shared": True}
    event = {
        "type": "app_mention", "user": REP, "text": "<@UBOT> customer acme",
        "ts": "1700000500.000100", "channel": "C0SALES",
    }  # fmt: skip
    body = {"team_id": "T1", "type": "event_callback", "event": event, "event_id": "EvNoFlag"}
    slack.post(json.dumps(body).encode(), "application/json")
    [answer] = emulator.wait_for("chat.postEphemeral")
    assert answer.args["user"] == REP
    assert emulator.calls_to("chat.postMessage") == []


def test_a_user_slack_cannot_describe_gets_no_more_than_a_guest(slack, emulator, engine):
    emulator.fail_next("users.info", error="user_not_found", times=4)
    reply = slack.slash(
        "log note with acme: who am I", user="U0UNKNOWN", response_url=emulator.response_url()
    )
    assert "Logged" not in reply.body.decode()
    assert interactions(engine) == 1


def test_a_chart_asked_in_a_shared_channel_goes_to_the_askers_dm(slack, emulator, engine):
    from crm_core.nps import record_nps

    with unit_of_work(engine) as session:
        for score in (10, 9, 7, 3, 10):
            record_nps(session, team_id="T1", customer_id=1, score=score)
    emulator.channels["C0SALES"] = {"name": "sales", "is_member": True, "is_ext_shared": True}
    reply = slack.slash("nps chart", user=REP, response_url=emulator.response_url())
    assert reply.json()["response_type"] == "ephemeral"
    [completed] = emulator.wait_for("files.completeUploadExternal", timeout=10)
    assert completed.args["channel_id"] == f"D{REP}"
    # Another user: charts are rate-limited per person (commands/rate_limits.py).
    slack.mention("nps chart", user=ADMIN, ext_shared=True)
    mentioned = emulator.wait_for("files.completeUploadExternal", 2, timeout=10)[1]
    assert mentioned.args["channel_id"] == f"D{ADMIN}"
    assert emulator.calls_to("chat.postMessage") == []


def test_every_destructive_choice_asks_first_even_without_its_own_question():
    from datetime import UTC, datetime

    from commands.results import Answer, Choice, DidYouMean
    from reports.button_values import read_button_value
    from reports.chat import render_message

    choices = [Choice(f"{verb} it", f"{verb} #3") for verb in ("delete", "merge", "undo")]
    choices += [Choice("unsubscribe", "alerts unsubscribe 4"), Choice("Open", "customer #1")]
    answer = Answer(DidYouMean("x", choices), shown_at=datetime.now(UTC))
    buttons = _buttons(render_message(answer, UTC, offered_to=REP))
    assert [bool(b.get("confirm")) for b in buttons] == [True, True, True, True, False]
    assert {read_button_value(b["value"]).offered_to for b in buttons} == {REP}


def test_a_rep_cannot_plant_an_erase_for_an_admin_to_click(slack, emulator, engine):
    """The finding: a rep's `@crm forget globex confirm` offered name buttons that erased
    when an admin clicked them. Now the rep is refused before any customer is looked up."""
    with unit_of_work(engine) as session:
        create_customer(session, team_id="T1", name="Globex East", email="east@globex.example")
        create_customer(session, team_id="T1", name="Globex West", email="west@globex.example")
    slack.mention("forget globex confirm", user=REP)
    [answer] = emulator.wait_for("chat.postMessage")
    assert "only an admin" in answer.args["text"]
    assert _buttons(answer.args) == []


# Every verb, as its first example in the registry says it (people and channels by their
# listing, which the table opens; adding to them is a handler's narrower rule).
EVERY_VERB = {spec.name: spec.examples[0] for spec in REGISTRY} | {
    "people": "people",
    "channels": "channels",
}
# The gate's refusals (commands.roles.not_permitted), one per role it refuses.
GATE_REFUSALS = (
    "only an admin can",
    "guests of this workspace can't",
    "guests may only read",
    "you are from another organisation",
)


def refused_by_the_gate(said: str) -> bool:
    return any(phrase in said for phrase in GATE_REFUSALS)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_every_verb_the_table_refuses_is_refused_through_every_entry_point(
    slack, emulator, engine, entry
):
    before = interactions(engine)
    for verb, line in EVERY_VERB.items():
        for role, user in ROLE_USERS.items():
            if may(role, verb, Settings()):
                continue
            emulator.reset()
            said = send(slack, emulator, entry, line, user)
            assert refused_by_the_gate(said), (entry, role, verb, said)
            for secret in SECRETS:
                assert secret not in said, (entry, role, verb)
    assert interactions(engine) == before


def test_every_verb_the_table_allows_gets_past_the_gate_from_slack(slack, emulator):
    for verb, line in EVERY_VERB.items():
        for role, user in ROLE_USERS.items():
            if not may(role, verb, Settings()):
                continue
            emulator.reset()
            reply = slack.slash(line, user=user, response_url=emulator.response_url())
            if WORKING in reply.body.decode():
                emulator.wait_for("response_url")
            said = posted(emulator, reply)
            assert not refused_by_the_gate(said), (role, verb, said)


def test_every_verb_of_the_table_is_tried():
    assert set(EVERY_VERB) == set(ACCESS)


def test_a_button_bound_to_no_one_never_skips_the_erase_preview(slack, emulator, customer_id):
    """A planted `forget #N confirm` value on a button of an older message, clicked by an
    admin, shows what would be erased; only the preview's own bound button erases."""
    reply = slack.click(
        f"{RUN_COMMAND}:0", f"forget #{customer_id} confirm", user=ADMIN,
        response_url=emulator.response_url(),
    )  # fmt: skip
    assert reply.status == 200
    [shown] = emulator.wait_for("response_url")
    assert "Erased" not in json.dumps(shown.args)
    [erase] = [b for b in _buttons(shown.args) if b["text"]["text"].startswith("Erase")]
    assert json.loads(erase["value"]) == {"cmd": f"forget #{customer_id} confirm", "for": ADMIN}
    card = slack.slash("customer acme", user=ADMIN, response_url=emulator.response_url())
    assert "buy@acme.example" in card.body.decode()  # nothing was erased
