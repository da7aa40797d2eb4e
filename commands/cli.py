"""The `crm` command line: the console front end, and the operator's import/demo/db tools.

Other packages add subcommands through the `crm.cli` entry-point group (the bot adds
`serve`), so this module never imports them. Each command imports the domain, pandas and the
database layer when it runs: `crm ask help` needs none of them and starts in a fraction of
the time.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from commands.console import ask, chat
from crm_core.errors import CrmError
from crm_core.log_redaction import install_log_redaction

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine

    from crm_core.settings import Settings


class ImportKind(click.ParamType):
    """customers, purchases, interactions or nps, as crm_core.importing names them, or rates
    (exchange rates); read when the import command runs, since importing it (pandas) at every
    start would double the time of `crm ask help`."""

    name = "kind"

    def _choice(self) -> click.Choice:
        from crm_core.importing import KINDS

        return click.Choice([*KINDS, "rates"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self._choice().get_metavar(param, ctx)

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        return self._choice().get_missing_message(param, ctx)

    def convert(self, value, param, ctx):
        return self._choice().convert(value, param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        return self._choice().shell_complete(ctx, param, incomplete)


class _CrmGroup(click.Group):
    """The `crm` group, whose other packages' subcommands (entry-point group `crm.cli`) load
    when one of them is run or the list is shown: `crm ask` does without reading the
    installed packages' metadata and importing their commands."""

    plugins_loaded = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or (
            self.load_plugins() and super().get_command(ctx, cmd_name)
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugins()
        return super().list_commands(ctx)

    def load_plugins(self) -> bool:
        """Add the `crm.cli` entry points' commands, once; whether any were added now."""
        if self.plugins_loaded:
            return False
        from importlib.metadata import entry_points

        self.plugins_loaded = True
        for entry in entry_points(group="crm.cli"):
            self.add_command(entry.load(), entry.name)
        return True


class Console:
    """Settings and database of one `crm` invocation, opened on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        from commands.permissions import check_security
        from crm_core.settings import SettingsError, load_settings

        try:
            settings = load_settings(self.config)
            check_security(settings)
            return settings
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None

    @cached_property
    def engine(self) -> Engine:
        from crm_core import db

        return db.engine_for(self.settings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.default_timezone)


@click.group(cls=_CrmGroup)
@click.option(
    "--config",
    envvar="CRM_CONFIG",
    type=click.Path(dir_okay=False),
    help="Settings file (default ./app.yaml).",
)
@click.option(
    "-v", "--verbose", count=True, help="Log what happens (-vv: in detail, tokens redacted)."
)
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int) -> None:
    """A CRM that lives in Slack: this is its console and operator tool."""
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_log_redaction()  # no token, webhook URL or secret reaches a log
    ctx.obj = Console(config)


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(console: Console) -> None:
    """Create the database or migrate it to the newest schema."""
    from crm_core import db

    engine = db.make_engine(console.settings.database_url_with_password)
    db.upgrade(engine)
    click.echo(f"{engine.url.render_as_string(hide_password=True)} is at the newest schema.")


@cli.group("secrets")
def secrets_group() -> None:
    """The keys that seal installed workspaces' Slack tokens (CRM_SECRET_KEYS)."""


@secrets_group.command("rotate")
@click.pass_obj
def secrets_rotate(console: Console) -> None:
    """Seal every stored Slack token anew with the first key of CRM_SECRET_KEYS.

    Put the new key first and keep the old one after it, run this, then drop the old key.
    """
    from crm_core import db
    from crm_core.sealed_tokens import MissingSecretKey, cipher_from_environment, reseal_all

    try:
        count = reseal_all(db.engine_for(console.settings), cipher_from_environment())
    except MissingSecretKey as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{_count(count, 'stored token')} sealed with the first key of CRM_SECRET_KEYS; "
        "keys after it may now be removed."
    )


@cli.group("analytics")
def analytics_group() -> None:
    """Customer-value models."""


@analytics_group.command("refresh")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Score as of the end of this past day (YYYY-MM-DD): later purchases are ignored.",
)
@click.pass_obj
def analytics_refresh(console: Console, as_of: datetime | None) -> None:
    """Fit the purchase model and Gamma-Gamma on all purchases and store every customer's CLV
    and churn risk."""
    from datetime import timedelta

    from crm_core import db
    from crm_core.analytics.scoring import end_warning, refresh_scores
    from reports.terminal import analytics_refresh_text

    now = datetime.now(UTC)
    end = now
    if as_of is not None:
        end = as_of.replace(tzinfo=UTC) + timedelta(days=1) - timedelta(microseconds=1)
        if end > now:
            raise click.UsageError(f"--as-of {as_of:%Y-%m-%d} is not in the past")
    with db.unit_of_work(console.engine) as session:
        fit = _explained(
            refresh_scores,
            session,
            team_id=console.settings.team_id,
            settings=console.settings.analytics,
            now=end,
            as_of=as_of is not None,
        )
        warning = end_warning(session, fit)
    click.echo(analytics_refresh_text(fit, warning=warning), nl=False)


@analytics_group.command("check")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The holdout's last day (default: the day of the newest purchase).",
)
@click.option(
    "--holdout",
    "holdout_weeks",
    type=click.IntRange(1, 520),
    default=None,
    help="Weeks held out (default: a quarter of the span, at most 52).",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the tracking chart (PNG) here.",
)
@click.pass_obj
def analytics_check(
    console: Console, as_of: datetime | None, holdout_weeks: int | None, chart: Path | None
) -> None:
    """Fit BG/NBD, MBG/NBD and Pareto/NBD on all but the last weeks and compare their
    forecasts of those weeks with what happened; say which model forecasts best."""
    from crm_core import db
    from crm_core.analytics.model_check import check_models
    from reports.model_check import model_check_text

    with db.unit_of_work(console.engine) as session:
        check = _explained(
            check_models,
            session,
            team_id=console.settings.team_id,
            unit=console.settings.analytics.time_unit,
            as_of=as_of.date() if as_of else None,
            holdout_weeks=holdout_weeks,
            today=datetime.now(UTC).date(),
        )
    click.echo(model_check_text(check), nl=False)
    if chart is not None:
        from reports.charts import model_check_tracking

        chart.write_bytes(model_check_tracking(check))
        click.echo(f"Tracking chart written to {chart}.")


@cli.command("import")
@click.argument("kind", type=ImportKind())
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dayfirst", is_flag=True, help="Read 01/02/1997 as 1 February (default: 2 January)."
)
@click.option(
    "--decimal-comma/--decimal-point",
    "decimal_comma",
    default=None,
    help="Read every amount as 1.234,56 (--decimal-comma) or as 1,234.56 (--decimal-point). "
    "Default: as the file's amounts show; a file that shows both, or only amounts such as "
    "2.000 that read either way, is refused and asks for one of these.",
)
@click.pass_obj
def import_command(
    console: Console, kind: str, file: Path, dayfirst: bool, decimal_comma: bool | None
) -> None:
    """Import a CSV of customers, purchases, interactions, nps answers or exchange rates.

    All rows or none: if any row is bad nothing is written and the first 20 bad rows are
    listed. Importing the same file again adds nothing. Columns the import does not read are
    named in the summary. Follow-ups dated without a time are due at 9:00 in
    default_timezone. `crm import rates FILE` reads columns date,currency,rate (units of
    default_currency per one unit of currency), replacing a currency's rate of the same day.
    """
    from crm_core import audit, db, importing
    from reports.terminal import import_summary_text

    settings = console.settings
    if kind == "rates":
        _import_rates(console, file)
        return
    with _progress(f"Importing {kind}") as advance, db.unit_of_work(console.engine) as session:
        summary = _explained(
            importing.import_csv,
            session,
            team_id=settings.team_id,
            kind=kind,
            path=file,
            tz=console.tz,
            default_currency=settings.default_currency,
            dayfirst=dayfirst,
            decimal_comma=decimal_comma,
            on_progress=advance,
            future_tolerance_days=settings.analytics.future_tolerance_days,
        )
        counts = {"added": summary.added, "updated": summary.updated}
        audit.record(
            session, team_id=settings.team_id, user_id=None, action="import",
            target=f"{kind} from {file.name}", detail=counts,
        )  # fmt: skip
    click.echo(import_summary_text(summary, file), nl=False)


def _import_rates(console: Console, file: Path) -> None:
    """`crm import rates FILE`: the team's exchange rates into the reporting currency."""
    from crm_core import audit, db, exchange_rates

    settings = console.settings
    with db.unit_of_work(console.engine) as session:
        done = _explained(
            exchange_rates.import_rates,
            session,
            team_id=settings.team_id,
            path=file,
            reporting_currency=settings.default_currency,
        )
        audit.record(
            session, team_id=settings.team_id, user_id=None, action="import",
            target=f"rates from {file.name}", detail={"added": done.added, "updated": done.updated},
        )  # fmt: skip
    click.echo(
        f"{file.name}: {_count(done.rows, 'rate')} read; {done.added:,} added, "
        f"{done.updated:,} replaced (in {settings.default_currency} per unit).\n",
        nl=False,
    )


@cli.command("demo")
@click.option(
    "--reset",
    is_flag=True,
    help="Delete the workspace's data, after showing what and asking, and load the demo again.",
)
@click.option("--yes", is_flag=True, help="With --reset: delete without asking (for scripts).")
@click.pass_obj
def demo_command(console: Console, reset: bool, yes: bool) -> None:
    """Load the CDNOW demo data into the database of app.yaml and print a short tour.

    A workspace that already holds other customers is left alone: give the demo a database of
    its own, or --reset to replace what is there (asked first; --yes for scripts).
    """
    from crm_core import db, demo
    from crm_core.overview import workspace_overview
    from reports.terminal import demo_tour_text

    settings, tz = console.settings, console.tz
    team = settings.team_id
    where = f"workspace {team} in {console.engine.url.render_as_string(hide_password=True)}"
    with db.unit_of_work(console.engine) as session:
        rows = demo.workspace_rows(session, team_id=team) if reset else {}
        held = demo.workspace_customers(session, team_id=team)
    if rows:
        _confirm_reset(rows, where, yes)
    load = None
    with db.unit_of_work(console.engine) as session:
        if rows:
            demo.clear_workspace(session, team_id=team)
        elif held.demo:
            mine = f" It also holds {_count(held.other, 'other customer')}." if held.other else ""
            click.echo(
                f"The demo data is already loaded in {where}.{mine} "
                "(`crm demo --reset` deletes the workspace's data and loads the demo afresh.)\n"
            )
        elif held.other:
            raise click.ClickException(
                f"{where} already holds {_count(held.other, 'customer')} of its own, so the "
                "demo was not loaded into it. To try the demo, give it a database of "
                "its own: CRM_DATABASE_URL=sqlite:///demo.db crm demo (or database_url in "
                "app.yaml); or `crm demo --reset` to delete this workspace's data and load the "
                "demo in its place."
            )
        if rows or not (held.demo or held.other):
            bars: dict[str, object] = {}
            with _bars() as progress:

                def advance(kind: str, done: int, total: int) -> None:
                    if kind not in bars:
                        bars[kind] = progress.add_task(f"Importing {kind}", total=total)
                    progress.update(bars[kind], completed=done)  # type: ignore[arg-type]

                load = demo.load_demo(
                    session,
                    team_id=team,
                    today=datetime.now(tz).date(),
                    tz=tz,
                    default_currency=settings.default_currency,
                    on_progress=advance,
                )
        overview = workspace_overview(session, team_id=team, now=datetime.now(tz), tz=tz)
    click.echo(
        demo_tour_text(overview=overview, load=load, team_id=team, tz=tz, reps=demo.DEMO_REPS),
        nl=False,
    )


# What `crm demo --reset` lists before it deletes (one, many); other tables derive from these.
_RESET_LISTS = {
    "customer": ("customer", "customers"),
    "contact": ("contact", "contacts"),
    "interaction": ("call, meeting, email or note", "calls, meetings, emails and notes"),
    "purchase": ("purchase", "purchases"),
    "nps_response": ("NPS answer", "NPS answers"),
    "alert_subscription": ("alert subscription", "alert subscriptions"),
    "audit_event": ("audit log entry", "audit log entries"),
}


def _confirm_reset(rows: dict[str, int], where: str, yes: bool) -> None:
    """Go on only when the operator agreed to delete `rows`: asked on a terminal, --yes in a
    script; a script without --yes is refused, since nobody would see the question."""
    listed = [_count(rows[table], *words) for table, words in _RESET_LISTS.items() if table in rows]
    if set(rows) - set(_RESET_LISTS):
        listed.append("the scores, alert history and records derived from them")
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.ClickException(
            f"`crm demo --reset` would delete everything in {where} ({'; '.join(listed)}), so "
            "it asks first, and this is not a terminal. Nothing was deleted; add --yes to "
            "delete without asking."
        )
    click.echo(f"`crm demo --reset` deletes everything in {where}:")
    for line in listed:
        click.echo(f"  {line}")
    if not click.confirm("Delete all of this and load the demo?", default=False):
        raise click.ClickException("Nothing was deleted.")


def _count(n: int, one: str, many: str | None = None) -> str:
    """1 customer, 2 customers."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _explained(function, *args, **kwargs):
    """Run a domain call, turning its explained errors into a clean CLI error."""
    try:
        return function(*args, **kwargs)
    except CrmError as exc:
        raise click.ClickException(str(exc)) from None


def _bars() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=None,
    )


class _progress:
    """A single progress bar whose advance(done, total) the import calls per chunk."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = _bars()

    def __enter__(self):
        self.bar.__enter__()
        task = None

        def advance(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = self.bar.add_task(self.label, total=total)
            self.bar.update(task, completed=done)

        return advance

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


cli.add_command(ask)
cli.add_command(chat)


def main() -> None:
    """Entry point of the `crm` console script."""
    cli(prog_name="crm")
