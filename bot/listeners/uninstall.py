"""A workspace uninstalls the app or revokes its tokens: forget the tokens, stop its alerts.

The workspace's CRM data stays (reinstalling finds it again); its alert subscriptions are
stopped so no scheduler tries to post without a token. Both are audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_sdk.oauth.installation_store import InstallationStore

from crm_core import audit
from crm_core.alerts.subscriptions import stop_all
from crm_core.db import unit_of_work

if TYPE_CHECKING:
    from bot.app import BotContext


def register(app: App, bot: BotContext, store: InstallationStore | None) -> None:
    """Without a store (single-workspace mode) there is no token to forget: alerts stop."""
    revocation = TokenRevocationListeners(store) if store is not None else None

    # Bolt passes listener arguments by name: `context` here is Bolt's request context.
    @app.event("app_uninstalled")
    def uninstalled(event: dict, context: BoltContext) -> None:
        if revocation is not None:
            revocation.handle_app_uninstalled_events(context)
        _stop_alerts(bot, context.team_id, "uninstall")

    @app.event("tokens_revoked")
    def revoked(event: dict, context: BoltContext) -> None:
        if revocation is not None:
            revocation.handle_tokens_revoked_events(event, context)
        if event.get("tokens", {}).get("bot"):
            _stop_alerts(bot, context.team_id, "tokens revoked")


def _stop_alerts(bot: BotContext, team_id: str | None, why: str) -> None:
    if not team_id:
        return
    with unit_of_work(bot.backend.engine) as session:
        stopped = stop_all(session, team_id=team_id)
        audit.record(
            session, team_id=team_id, user_id=None, action="uninstall",
            target=why, detail={"alert_subscriptions_stopped": stopped},
        )  # fmt: skip
