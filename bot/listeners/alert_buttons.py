"""The digest's "Snooze 30 days" and "Not at risk" buttons: a rep's feedback, stored.

The answer goes only to the rep who clicked; the digest itself stays as posted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond

from bot.identity import team_of
from bot.slack_ids import action_ids
from crm_core.alerts.feedback import give_feedback
from crm_core.customers import get_customer
from crm_core.db import unit_of_work
from crm_core.errors import CrmError
from crm_core.models import utcnow
from reports.action_ids import NOT_AT_RISK_BUTTON, SNOOZE_BUTTON
from reports.mrkdwn import escape

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, context: BotContext) -> None:
    def feedback(kind: str, ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        now = utcnow()
        try:
            with unit_of_work(context.backend.engine) as session:
                given = give_feedback(
                    session,
                    team_id=team_of(body),
                    customer_id=int(action["value"]),
                    user_id=body["user"]["id"],
                    kind=kind,
                    now=now,
                )
                name = get_customer(
                    session, team_id=given.team_id, customer_id=given.customer_id
                ).name
        except (CrmError, ValueError) as exc:
            respond(text=f"I could not record that: {escape(exc)}", replace_original=False)
            return
        if kind == "snooze":
            text = (
                f"Snoozed *{escape(name)}* until {given.until:%Y-%m-%d}: the churn digest leaves "
                "them out until then."
            )
        else:
            text = (
                f"Noted: *{escape(name)}* is not at risk. The churn digest leaves them out until "
                "there is something new (a purchase, an interaction or an NPS answer)."
            )
        respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(action_ids(SNOOZE_BUTTON))
    def snooze(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        feedback("snooze", ack, body, action, respond)

    @app.action(action_ids(NOT_AT_RISK_BUTTON))
    def not_at_risk(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        feedback("not_at_risk", ack, body, action, respond)
