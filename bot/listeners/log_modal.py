"""Logging an interaction through a modal: the "Log to CRM" message shortcut (prefilled with
the message and its permalink), the "Log interaction" global shortcut, and "Log call" buttons.

The customer is picked from the database as the user types (an external select); the
submission is checked (errors shown next to the field), saved once even if sent twice, and
confirmed to the user in a direct message. Every step checks the user's role first
(commands.permissions): opening the form and saving it need `log`'s access, listing
customers in the picker `find`'s; a guest or a user of another organisation without them is
told so and sees no customer.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.askers import interaction_asker
from bot.client import permalink
from bot.identity import slack_actor
from bot.slack_ids import LOG_GLOBAL_SHORTCUT, LOG_MESSAGE_SHORTCUT, action_ids
from commands.permissions import may
from commands.results import Answer, Logged
from commands.text_limit import TEXT_LIMIT
from crm_core import undo
from crm_core.customers import get_customer, search_customers
from crm_core.db import unit_of_work
from crm_core.errors import CrmError
from crm_core.interactions import find_logged, log_interaction
from reports import views
from reports.action_ids import LOG_BUTTON
from reports.chat import render_message
from reports.mrkdwn import escape
from reports.refusals import not_allowed

if TYPE_CHECKING:
    from bot.app import BotContext

logger = logging.getLogger(__name__)
# A follow-up picked as a day is due at 9:00 in the user's time zone, as in chat.
FOLLOW_UP_TIME = time(9, 0)
PICKER_OPTIONS = 20
# The verbs whose access the form needs: saving logs an interaction, the picker finds customers.
LOG_VERB, PICK_VERB = "log", "find"
REFUSED_WHAT = "log an interaction in the CRM"


def register(app: App, context: BotContext) -> None:
    @app.shortcut(LOG_MESSAGE_SHORTCUT)
    def from_message(ack: Ack, shortcut: dict, client: WebClient, respond: Respond) -> None:
        ack()
        if not _may_log(context, shortcut, client, respond):
            return
        message = shortcut.get("message", {})
        link = permalink(client, shortcut["channel"]["id"], message.get("ts"))
        view = views.log_modal(summary=message.get("text", ""), permalink=link)
        _open(client, shortcut["trigger_id"], view, respond)

    @app.shortcut(LOG_GLOBAL_SHORTCUT)
    def from_anywhere(ack: Ack, shortcut: dict, client: WebClient) -> None:
        ack()
        if not _may_log(context, shortcut, client, None):
            return
        _open(client, shortcut["trigger_id"], views.log_modal(), None)

    @app.action(action_ids(LOG_BUTTON))
    def from_button(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond | None
    ) -> None:
        ack()
        if not _may_log(context, body, client, respond):
            return
        team_id, value = interaction_asker(body).team_id, str(action.get("value", ""))
        try:
            with unit_of_work(context.backend.engine) as session:
                customer = get_customer(
                    session, team_id=team_id, customer_id=_button_customer(value)
                )
                picked = (customer.id, customer.name)
        except CrmError:
            _no_customer(value, body, client, respond)
            return
        _open(client, body["trigger_id"], views.log_modal(customer=picked), None)

    @app.options(views.CUSTOMER_SELECT)
    def customer_options(ack: Ack, body: dict) -> None:
        settings = context.backend.settings
        actor = slack_actor(settings, context.users, interaction_asker(body))
        if not may(actor.role, PICK_VERB, settings):
            ack(options=[])
            return
        with unit_of_work(context.backend.engine) as session:
            typed = body.get("value", "")[:TEXT_LIMIT]  # bounded before anything reads it
            found = search_customers(
                session, team_id=actor.team_id, text=typed, limit=PICKER_OPTIONS
            )
        ack(options=[views.customer_option(s.customer_id, s.name) for s in found])

    @app.view(views.LOG_MODAL)
    def submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        actor = slack_actor(context.backend.settings, context.users, interaction_asker(body))
        team_id, user_id = actor.team_id, actor.user_id
        if not may(actor.role, LOG_VERB, context.backend.settings):
            refusal = not_allowed(actor.role, REFUSED_WHAT, short=True)
            ack(response_action="errors", errors={views.SUMMARY_BLOCK: refusal})
            return
        values = view["state"]["values"]
        customer = _selected(values, views.CUSTOMER_BLOCK, views.CUSTOMER_SELECT)
        kind = _selected(values, views.KIND_BLOCK, views.KIND_SELECT) or "note"
        summary = (values[views.SUMMARY_BLOCK][views.SUMMARY_INPUT].get("value") or "").strip()
        day = values.get(views.FOLLOW_UP_BLOCK, {}).get(views.FOLLOW_UP_DATE, {})
        picked_day = day.get("selected_date")
        errors = _errors(customer, summary, picked_day, today=actor.local_now.date())
        if errors:
            ack(response_action="errors", errors=errors)
            return
        follow_up_at = None
        if picked_day:
            follow_up_at = datetime.combine(date.fromisoformat(picked_day), FOLLOW_UP_TIME)
            follow_up_at = follow_up_at.replace(tzinfo=actor.tz)
        metadata = json.loads(view.get("private_metadata") or "{}")
        try:
            with unit_of_work(context.backend.engine) as session:
                # The picked customer must be one of this workspace's.
                picked = get_customer(
                    session, team_id=team_id, customer_id=_button_customer(customer)
                )
                key = f"slack-view:{view['id']}"
                earlier = find_logged(session, team_id=team_id, key=key)
                interaction = log_interaction(
                    session,
                    team_id=team_id,
                    customer_id=picked.id,
                    kind=kind,
                    summary=summary,
                    author_user_id=user_id,
                    source="slack",
                    permalink=metadata.get("permalink"),
                    follow_up_at=follow_up_at,
                    idempotency_key=key,
                )
                noted = None
                if earlier is None:  # a submission sent twice is confirmed, not noted, twice
                    noted = undo.remember(
                        session, team_id=team_id, user_id=user_id, action="log",
                        row=interaction, customer_id=picked.id, now=actor.now,
                        window=timedelta(minutes=context.backend.settings.undo_minutes),
                    ).id  # fmt: skip
                logged = Logged(interaction, picked, created=earlier is None, undo_id=noted)
        except CrmError as exc:
            ack(response_action="errors", errors={views.CUSTOMER_BLOCK: str(exc)[:150]})
            return
        ack()
        answer = Answer(logged, shown_at=actor.now)
        message = render_message(answer, actor.tz, offered_to=user_id)
        client.chat_postMessage(channel=user_id, **message)


def _may_log(context: BotContext, body: dict, client: WebClient, respond: Respond | None) -> bool:
    """Whether the user may log; if not, they are told why (under the message when there is
    one, else in a direct message) and no form opens."""
    settings = context.backend.settings
    actor = slack_actor(settings, context.users, interaction_asker(body))
    if may(actor.role, LOG_VERB, settings):
        return True
    refusal = not_allowed(actor.role, REFUSED_WHAT)
    if respond is not None and body.get("response_url"):
        respond(text=refusal, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=actor.user_id, text=refusal)
    return False


def _button_customer(value: str) -> int:
    """The customer id a "Log call" button carries; 0 (no customer) for anything else, so a
    forged or stale value is answered as an unknown customer, not a failed int()."""
    return int(value) if value.isdigit() and len(value) <= 18 else 0


def _no_customer(value: str, body: dict, client: WebClient, respond: Respond | None) -> None:
    """Tell the clicker that the button's customer is gone (erased, merged, or never was)."""
    shown = f"#{value}" if value.isdigit() else repr(value[:40])
    text = escape(
        f"There is no customer {shown}: it may have been erased or merged. "
        "Find them with `/crm find <name>`."
    )
    if respond is not None and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:  # the App Home has no response_url
        client.chat_postMessage(channel=body["user"]["id"], text=text)


def _errors(customer: str | None, summary: str, day: str | None, *, today: date) -> dict:
    errors = {}
    if not customer:
        errors[views.CUSTOMER_BLOCK] = "Pick a customer: type part of their name"
    if not summary:
        errors[views.SUMMARY_BLOCK] = "Say in a few words what happened"
    elif len(summary) > TEXT_LIMIT:
        errors[views.SUMMARY_BLOCK] = (
            f"That is {len(summary):,} characters; a note holds at most {TEXT_LIMIT:,}. "
            "Split it into two notes"
        )
    if day:
        try:
            picked = date.fromisoformat(day)
        except ValueError:
            errors[views.FOLLOW_UP_BLOCK] = f"{day!r} is not a date; pick one in the calendar"
        else:
            if picked < today:
                errors[views.FOLLOW_UP_BLOCK] = (
                    f"{picked:%b %-d} has passed; pick today ({today:%b %-d}) or a later day"
                )
    return errors


def _selected(values: dict, block_id: str, action_id: str) -> str | None:
    option = values.get(block_id, {}).get(action_id, {}).get("selected_option")
    return option["value"] if option else None


def _open(client: WebClient, trigger_id: str, view: dict, respond: Respond | None) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.warning("could not open the log modal: %s", error)
        if respond is not None and error == "expired_trigger_id":
            respond(
                text="Slack took too long to open the form; please use the shortcut again.",
                response_type="ephemeral",
                replace_original=False,
            )
