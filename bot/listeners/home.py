"""The App Home tab, published when a user opens it: their follow-ups and customers at risk,
and the team's NPS and churn rate, each answered by the chat language as if asked.

Only what the user's role may read is asked (commands.permissions); a guest or a user of
another organisation without read access sees a tab that says so and holds no data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient

from bot.askers import event_asker
from bot.identity import slack_actor
from bot.listeners import answering
from commands.permissions import may
from commands.results import Answer, Problem
from reports.refusals import not_allowed
from reports.views import home_view

if TYPE_CHECKING:
    from bot.app import BotContext

# What the tab shows, in order: the user's own work first, then the team's numbers; each
# with the verb whose access it needs.
HOME_QUESTIONS = (
    ("followups", "followups mine"),
    ("churn", "churn top 5 owner me"),
    ("nps summary", "nps last 90 days"),
    ("churn rate", "churn rate"),
)


def register(app: App, context: BotContext) -> None:
    @app.event("app_home_opened")
    def publish_home(body: dict, event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        settings = context.backend.settings
        actor = slack_actor(settings, context.users, event_asker(body, event))
        questions = [q for verb, q in HOME_QUESTIONS if may(actor.role, verb, settings)]
        answers = [answering.answer(context, q, actor) for q in questions]
        if not answers:
            refusal = Problem(not_allowed(actor.role, "see the CRM's customers and figures"))
            answers = [Answer(refusal, shown_at=actor.now)]
        view = home_view(answers, actor.tz, offered_to=actor.user_id)
        client.views_publish(user_id=actor.user_id, view=view)
