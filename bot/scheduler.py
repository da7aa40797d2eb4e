"""The alert scheduler inside `crm serve`: one AlertRunner tick a minute (APScheduler).

Ticks never overlap in one process (max_instances=1) and a late one is run once, not
repeated (coalesce); several processes may tick together, because every delivery is claimed
in the database first.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.alert_runner import AlertRunner
from bot.workspaces import workspaces
from crm_core import db
from crm_core.settings import Settings

logger = logging.getLogger(__name__)


def start_scheduler(
    settings: Settings, client: WebClient, *, every_seconds: float | None = None
) -> BackgroundScheduler:
    """Start ticking every minute (at second 5), or every `every_seconds`, on a daemon
    thread; `shutdown()` to stop."""
    engine = db.engine_for(settings)
    runner = AlertRunner(engine, settings, workspaces(client, engine))
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    trigger = (
        {"trigger": "interval", "seconds": every_seconds}
        if every_seconds
        else {"trigger": "cron", "second": 5}
    )
    scheduler.add_job(
        _tick,
        args=[runner],
        **trigger,
        id="crm-alerts",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=55,
    )
    scheduler.start()
    logger.info("alert scheduler started (instance %s)", runner.instance)
    return scheduler


def _tick(runner: AlertRunner) -> None:
    try:
        report = runner.tick()
    except Exception:  # the next minute tries again; nothing was posted without a claim
        logger.exception("alert tick failed")
        return
    if report.posted or report.failed or report.gave_up or report.detractors:
        logger.info("alerts: %s", report)
