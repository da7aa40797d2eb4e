"""Which bot token speaks for which workspace.

Single-workspace mode (the default): one bot token, SLACK_BOT_TOKEN, for the one workspace
the app was installed in by hand. Multi-workspace mode, when SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET are set: any workspace installs the app through /slack/install (Slack's
OAuth v2), and each installation's bot token is kept by slack_sdk's SQLAlchemy installation
store in the CRM's own database, so every instance finds it. Uninstalling removes it.

The tokens are sealed with CRM_SECRET_KEYS (crm_core.sealed_tokens) and only a workspace's
current installation is kept: a reinstall replaces the rows of the one before. Tokens that
Slack rotates (refresh tokens) are refreshed by Bolt for requests and by `client_for` for
what the CRM sends by itself (the alert runner).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, Table, and_, select

from bot.client import DEFAULT_API_URL
from bot.install_audit import audit_install
from bot.install_page import PurgingOAuthStateStore
from bot.slack_ids import BOT_SCOPES, INSTALL_PATH, REDIRECT_PATH
from crm_core.sealed_tokens import cipher_from_environment, seal_columns, widen_sealed_columns

logger = logging.getLogger(__name__)
STATE_SECONDS = 600  # how long an install link stays valid
# Refresh a rotating token this long before it expires (Bolt's default, for both paths).
ROTATE_MINUTES_BEFORE_EXPIRY = 120


def multi_workspace() -> bool:
    """Whether the OAuth install (many workspaces) is configured in the environment."""
    return bool(os.environ.get("SLACK_CLIENT_ID") and os.environ.get("SLACK_CLIENT_SECRET"))


class CurrentInstallations(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store with its token columns sealed, keeping only the newest
    installation (and bot) of each team or enterprise, and auditing installs."""

    def __init__(self, client_id: str, engine: Engine) -> None:
        super().__init__(client_id=client_id, engine=engine)
        cipher = cipher_from_environment()  # refuses to start without a key
        seal_columns(self.installations, cipher)
        seal_columns(self.bots, cipher)

    def save(self, installation: Installation) -> None:
        action = self._install_kind(installation)
        super().save(installation)  # also saves its bot through save_bot
        self._drop_older(self.installations, installation)
        if action is not None:
            audit_install(self.engine, installation, action)

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(bot)
        self._drop_older(self.bots, bot)

    def _same_workspace(self, table: Table, saved: Installation | Bot):
        c = table.c
        return and_(
            c.client_id == self.client_id,
            c.enterprise_id == saved.enterprise_id,
            c.team_id == saved.team_id,
        )

    def _install_kind(self, installation: Installation) -> str | None:
        """Whether this saves an install, a reinstall, or (None) the current installation with
        a refreshed token, as Bolt's token rotation does."""
        when = _stored_time(installation)
        query = select(self.installations.c.installed_at).where(
            self._same_workspace(self.installations, installation)
        )
        with self.engine.connect() as connection:
            known = set(connection.execute(query).scalars())
        if when in known:
            return None
        return "reinstall" if known else "install"

    def _drop_older(self, table: Table, saved: Installation | Bot) -> None:
        when = _stored_time(saved)
        with self.engine.begin() as connection:
            connection.execute(
                table.delete().where(
                    and_(self._same_workspace(table, saved), table.c.installed_at < when)
                )
            )


def _stored_time(saved: Installation | Bot) -> datetime:
    """installed_at as slack_sdk's store writes it (its rows are told apart by it)."""
    return normalize_datetime_for_db(saved.to_dict()["installed_at"])


def installation_store(engine: Engine) -> CurrentInstallations:
    """The installations of SLACK_CLIENT_ID's app, in the CRM's database (tables made once)."""
    store = CurrentInstallations(os.environ["SLACK_CLIENT_ID"], engine)
    store.metadata.create_all(engine, checkfirst=True)
    widen_sealed_columns(engine)
    return store


def oauth_settings(engine: Engine, scopes: Sequence[str] = BOT_SCOPES) -> OAuthSettings:
    """Bolt's OAuth flow: /slack/install and /slack/oauth_redirect, state and installations
    kept in the database (any instance may serve either step); `scopes` as in the manifest."""
    state_store = PurgingOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    state_store.metadata.create_all(engine, checkfirst=True)
    settings = OAuthSettings(
        client_id=os.environ["SLACK_CLIENT_ID"],
        client_secret=os.environ["SLACK_CLIENT_SECRET"],
        scopes=list(scopes),
        installation_store=installation_store(engine),
        state_store=state_store,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE_EXPIRY,
    )
    # Bolt's authorize refreshes rotating tokens with a client of slack.com's own; this one
    # follows SLACK_API_URL as every other client of the bot does.
    settings.authorize.token_rotator = _rotator(os.environ.get("SLACK_API_URL") or DEFAULT_API_URL)
    return settings


def _rotator(base_url: str, timeout: int = 10) -> TokenRotator:
    return TokenRotator(
        client_id=os.environ["SLACK_CLIENT_ID"],
        client_secret=os.environ["SLACK_CLIENT_SECRET"],
        client=WebClient(base_url=base_url, timeout=timeout),
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
            token=self._current_token(bot),
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=list(self.client.retry_handlers),
        )

    def _current_token(self, bot: Bot) -> str:
        """The bot's token, refreshed first when Slack rotates it and it is about to expire
        (as Bolt's authorize does for requests; the alert runner has no request)."""
        if bot.bot_refresh_token is None or self.store is None:
            return bot.bot_token
        rotator = _rotator(self.client.base_url, self.client.timeout)
        refreshed = rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
        )
        if refreshed is None:
            return bot.bot_token
        self.store.save_bot(refreshed)
        logger.info("refreshed the rotating bot token of workspace %s", bot.team_id)
        return refreshed.bot_token


def workspaces(client: WebClient, engine: Engine) -> Workspaces:
    """The workspaces this deployment serves, as the environment configures it."""
    return Workspaces(client, installation_store(engine) if multi_workspace() else None)
