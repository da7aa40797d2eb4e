"""Installs and reinstalls in the audit log, beside the uninstalls (bot/listeners/uninstall.py):
who installed, into which team or enterprise, with which scopes."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine

from crm_core import audit
from crm_core.db import unit_of_work


def audit_install(engine: Engine, installation: Installation, action: str) -> None:
    """Record an "install" or "reinstall" for the workspace (the enterprise for an org-wide
    install) by the installing user."""
    team_id = installation.team_id or installation.enterprise_id or "unknown"
    with unit_of_work(engine) as session:
        audit.record(
            session,
            team_id=team_id,
            user_id=installation.user_id,
            action=action,
            target=_where(installation),
            detail={
                "team_id": installation.team_id,
                "enterprise_id": installation.enterprise_id,
                "is_enterprise_install": bool(installation.is_enterprise_install),
                "bot_scopes": list(installation.bot_scopes or []),
                "user_scopes": list(installation.user_scopes or []),
            },
        )


def _where(installation: Installation) -> str:
    if installation.is_enterprise_install or not installation.team_id:
        return f"enterprise {installation.enterprise_id}"
    if installation.enterprise_id:
        return f"workspace {installation.team_id} of enterprise {installation.enterprise_id}"
    return f"workspace {installation.team_id}"
