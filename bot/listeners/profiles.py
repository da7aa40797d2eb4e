"""`user_change`: Slack says a user's profile changed (made a guest, no longer an admin,
moved to another time zone), so what the bot remembers of them is dropped and the next
request asks users.info afresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, context: BotContext) -> None:
    @app.event("user_change")
    def profile_changed(event: dict) -> None:
        user = event.get("user") or {}
        if isinstance(user, dict) and user.get("id"):
            context.users.forget(user["id"])
