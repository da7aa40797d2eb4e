"""The digest's "Snooze 30 days" and "Not at risk" buttons: a rep's feedback, stored.

The answer goes only to the rep who clicked; the digest itself stays as posted. Feedback is
a write, so it needs the access `log` needs (commands.permissions): a guest or a user of
another organisation who clicks is told so, ephemerally, and nothing is stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond

from bot.askers import interaction_asker
from bot.identity import slack_actor
from bot.slack_ids import action_ids
from commands.permissions import may
from commands.results import Answer, FeedbackGiven
from crm_core import undo
from crm_core.alerts.feedback import give_feedback
from crm_core.customers import get_customer
from crm_core.db import unit_of_work
from crm_core.errors import CrmError
from crm_core.models import utcnow
from reports.action_ids import NOT_AT_RISK_BUTTON, SNOOZE_BUTTON
from reports.chat import render_message
from reports.mrkdwn import escape
from reports.refusals import not_allowed

if TYPE_CHECKING:
    from bot.app import BotContext

# The verb whose access a digest's feedback buttons need: they record, as logging does.
FEEDBACK_VERB = "log"


def register(app: App, context: BotContext) -> None:
    def feedback(kind: str, ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        now = utcnow()
        settings = context.backend.settings
        actor = slack_actor(settings, context.users, interaction_asker(body))
        user_id = actor.user_id
        if not may(actor.role, FEEDBACK_VERB, settings):
            refusal = not_allowed(actor.role, "snooze a customer or mark one not at risk")
            respond(text=refusal, response_type="ephemeral", replace_original=False)
            return
        try:
            with unit_of_work(context.backend.engine) as session:
                given = give_feedback(
                    session,
                    team_id=actor.team_id,
                    customer_id=int(action["value"]),
                    user_id=user_id,
                    kind=kind,
                    now=now,
                )
                name = get_customer(
                    session, team_id=given.team_id, customer_id=given.customer_id
                ).name
                noted = undo.remember(
                    session, team_id=given.team_id, user_id=user_id, action=kind, row=given,
                    customer_id=given.customer_id, now=now,
                    window=timedelta(minutes=settings.undo_minutes),
                )  # fmt: skip
        except (CrmError, ValueError) as exc:
            respond(text=f"I could not record that: {escape(exc)}", replace_original=False)
            return
        answer = Answer(FeedbackGiven(given, name, noted.id), shown_at=now)
        message = render_message(answer, actor.tz, offered_to=user_id)
        respond(**message, response_type="ephemeral", replace_original=False)

    @app.action(action_ids(SNOOZE_BUTTON))
    def snooze(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        feedback("snooze", ack, body, action, respond)

    @app.action(action_ids(NOT_AT_RISK_BUTTON))
    def not_at_risk(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        feedback("not_at_risk", ack, body, action, respond)
