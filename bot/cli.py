"""`crm` subcommands the bot adds through the `crm.cli` entry-point group.

Every `crm` start loads this module, so what the commands need is imported when they run.
"""

from __future__ import annotations

import os

import click


@click.command("manifest")
@click.option("--url", "public_url", help="Public base URL Slack sends requests to (HTTP mode).")
@click.option(
    "--socket-mode/--http",
    default=None,
    help="Socket Mode (no public URL) or HTTP. Default: Socket Mode when SLACK_APP_TOKEN is set.",
)
@click.pass_context
def manifest(ctx: click.Context, public_url: str | None, socket_mode: bool | None) -> None:
    """Print the Slack app manifest (YAML) for app.yaml, to paste into "Create an app"."""
    from bot.manifest import build_manifest, manifest_yaml

    if socket_mode is None:
        socket_mode = bool(os.environ.get("SLACK_APP_TOKEN"))
        if socket_mode and public_url:
            click.echo(
                "SLACK_APP_TOKEN is set, so this is a Socket Mode manifest and --url is not "
                "used; pass --http for an HTTP-mode manifest.",
                err=True,
            )
    settings = _settings(ctx)
    try:
        app_manifest = build_manifest(settings, public_url=public_url, socket_mode=socket_mode)
    except ValueError as exc:
        raise click.UsageError(str(exc), ctx) from None
    click.echo(manifest_yaml(app_manifest), nl=False)


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP mode: address to bind.")
@click.option("--port", default=3000, show_default=True, type=int, help="HTTP mode: port.")
@click.option("--workers", default=2, show_default=True, type=int, help="HTTP worker processes.")
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=int,
    # More threads per process convoy on the GIL (sqlite3 releases it on every row); each
    # holds a /crm request at most 1.5 s, so workers x threads slow commands fit in Slack's 3 s
    # twice over.
    help="HTTP request threads per worker.",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Post retention alerts from this process (off when `crm alerts run` runs from cron).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, threads: int, scheduler: bool
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    from bot import server

    settings = _settings(ctx)
    from bot.workspaces import multi_workspace

    socket_mode = bool(os.environ.get("SLACK_APP_TOKEN"))
    if socket_mode:
        needed: tuple[str, ...] = ("SLACK_BOT_TOKEN",)
    elif multi_workspace():  # each workspace's token comes from its OAuth install
        needed = ("SLACK_SIGNING_SECRET",)
    else:
        needed = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    for name in needed:
        if not os.environ.get(name):
            raise click.ClickException(
                f"{name} is not set: copy it from your Slack app's settings (see the README)"
            )
    if multi_workspace():  # the tokens in the database are sealed with CRM_SECRET_KEYS
        _need_secret_keys()
    server.prepare_database(settings)  # before the scheduler and the workers use it
    if scheduler:
        from bot.client import web_client
        from bot.scheduler import start_scheduler

        start_scheduler(settings, web_client())  # a daemon thread of this (main) process
    if socket_mode:
        click.echo("Connecting to Slack in Socket Mode…", err=True)
        server.serve_socket_mode(settings)
    else:
        click.echo(f"Serving Slack requests on http://{host}:{port}/slack/events", err=True)
        server.serve_http(settings, host=host, port=port, workers=workers, threads=threads)


def _need_secret_keys() -> None:
    """Multi-workspace mode stores tokens sealed: refuse to start without a key to seal them."""
    from crm_core.sealed_tokens import MissingSecretKey, cipher_from_environment

    try:
        cipher_from_environment()
    except MissingSecretKey as exc:
        raise click.ClickException(str(exc)) from None


@click.group("directory")
def directory() -> None:
    """The people and channels the console knows by name (see also `people`, `channels`)."""


@directory.command("sync")
@click.pass_context
def directory_sync(ctx: click.Context) -> None:
    """Fill the directory from Slack (users.list, conversations.list) with SLACK_BOT_TOKEN, so
    the console reads `owner @jane` and `#sales` and shows names instead of ids."""
    from slack_sdk.errors import SlackApiError

    from bot.client import web_client
    from bot.directory_sync import sync_directory
    from crm_core import db

    settings = _settings(ctx)
    _need_bot_token(
        "the directory is read from Slack with the bot token (without one, add people by "
        'hand: crm ask "people add @jane U024BE7LH Jane Roe")'
    )
    client = web_client()
    try:
        team = client.auth_test()["team_id"]
        if team != settings.team_id:
            raise click.ClickException(
                f"the bot token belongs to workspace {team}, but the console acts for "
                f"{settings.team_id}: set team_id: {team} in app.yaml (or CRM_TEAM_ID)"
            )
        report = sync_directory(client, db.engine_for(settings), team_id=settings.team_id)
    except SlackApiError as exc:
        raise click.ClickException(
            f"Slack refused: {exc.response.get('error')}; check the token and its scopes "
            "(users:read, channels:read, groups:read)"
        ) from None
    click.echo(
        f"directory: {report.people:,} people and {report.channels:,} channels from Slack"
        + (f"; {report.removed:,} no longer in Slack removed" if report.removed else "")
    )


@click.group("alerts")
def alerts() -> None:
    """Retention alerts (subscribe from chat: `alerts subscribe ...`)."""


@alerts.command("run")
@click.option("--now", "every", is_flag=True, help="Post every subscription now, not only the due.")
@click.pass_context
def alerts_run(ctx: click.Context, every: bool) -> None:
    """Deliver the alerts that are due, once: for an external cron instead of `crm serve`.

    Safe to run from several machines or overlapping: each delivery is claimed in the
    database before it is posted.
    """
    from bot.alert_runner import AlertRunner
    from bot.client import web_client
    from bot.workspaces import multi_workspace, workspaces
    from crm_core import db

    settings = _settings(ctx)
    _need_bot_token("alerts are posted with the bot token")
    if multi_workspace():
        _need_secret_keys()
    engine = db.engine_for(settings)
    report = AlertRunner(engine, settings, workspaces(web_client(), engine)).tick(every=every)
    click.echo(
        f"alerts: {report.posted} posted, {report.skipped} skipped (quiet), {report.failed} "
        f"to retry, {report.gave_up} given up; {report.detractors} detractor DMs"
    )


def _settings(ctx: click.Context):
    """The settings of the `crm` group's --config (or CRM_CONFIG), as every subcommand reads
    them; a bad value is one clean error."""
    from commands.permissions import check_security
    from crm_core.settings import SettingsError, load_settings

    try:
        settings = load_settings(getattr(ctx.find_root().obj, "config", None))
        check_security(settings)
        return settings
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _need_bot_token(why: str) -> None:
    if not os.environ.get("SLACK_BOT_TOKEN"):
        raise click.ClickException(f"SLACK_BOT_TOKEN is not set: {why}")
