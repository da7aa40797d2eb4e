"""Which bot token speaks for which workspace.

Single-workspace mode (the default): one bot token, SLACK_BOT_TOKEN, for the one workspace
the app was installed in by hand. Multi-workspace mode, when SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET are set: any workspace installs the app through /slack/install (Slack's
OAuth v2), and each installation's bot token is kept by slack_sdk's SQLAlchemy installation
store in the CRM's own database, so every instance finds it. Uninstalling removes it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.slack_ids import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH

STATE_SECONDS = 600  # how long an install link stays valid


def multi_workspace() -> bool:
    """Whether the OAuth install (many workspaces) is configured in the environment."""
    return bool(os.environ.get("SLACK_CLIENT_ID") and os.environ.get("SLACK_CLIENT_SECRET"))


def installation_store(engine: Engine) -> SQLAlchemyInstallationStore:
    """The installations of SLACK_CLIENT_ID's app, in the CRM's database (tables made once)."""
    store = SQLAlchemyInstallationStore(client_id=os.environ["SLACK_CLIENT_ID"], engine=engine)
    store.metadata.create_all(engine, checkfirst=True)
    return store


def oauth_settings(engine: Engine, scopes: Sequence[str] = BOT_SCOPES) -> OAuthSettings:
    """Bolt's OAuth flow: /slack/install and /slack/oauth_redirect, state and installations
    kept in the database (any instance may serve either step); `scopes` as in the manifest."""
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    state_store.metadata.create_all(engine, checkfirst=True)
    return OAuthSettings(
        client_id=os.environ["SLACK_CLIENT_ID"],
        client_secret=os.environ["SLACK_CLIENT_SECRET"],
        scopes=list(scopes),
        installation_store=installation_store(engine),
        state_store=state_store,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


class Workspaces:
    """A Web API client per workspace: the one client in single-workspace mode, else one with
    the workspace's installed bot token (None when the workspace has not installed the app)."""

    def __init__(self, client: WebClient, store: InstallationStore | None = None) -> None:
        self.client, self.store = client, store

    def client_for(self, team_id: str) -> WebClient | None:
        if self.store is None:
            return self.client
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            return None
        return WebClient(
            token=bot.bot_token,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=list(self.client.retry_handlers),
        )


def workspaces(client: WebClient, engine: Engine) -> Workspaces:
    """The workspaces this deployment serves, as the environment configures it."""
    return Workspaces(client, installation_store(engine) if multi_workspace() else None)
