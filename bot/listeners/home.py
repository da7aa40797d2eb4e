"""The App Home tab, published when a user opens it: their follow-ups and customers at risk,
and the team's NPS and churn rate, each answered by the chat language as if asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient

from bot.identity import slack_actor
from bot.listeners import answering
from reports.views import home_view

if TYPE_CHECKING:
    from bot.app import BotContext

# What the tab shows, in order: the user's own work first, then the team's numbers.
HOME_QUESTIONS = ("followups mine", "churn top 5 owner me", "nps last 90 days", "churn rate")


def register(app: App, context: BotContext) -> None:
    @app.event("app_home_opened")
    def publish_home(body: dict, event: dict, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        actor = slack_actor(
            context.backend.settings,
            context.users,
            team_id=body.get("team_id") or event.get("team"),
            user_id=event["user"],
        )
        answers = [answering.answer(context, q, actor) for q in HOME_QUESTIONS]
        client.views_publish(user_id=actor.user_id, view=home_view(answers, actor.tz))
