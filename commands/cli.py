"""The `crm` command line: the console front end, and the operator's import/demo/db tools.

Other packages add subcommands through the `crm.cli` entry-point group (the bot adds
`serve`), so this module never imports them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine

from commands.console import ask, chat
from crm_core import audit, db, demo, importing
from crm_core.analytics.scoring import refresh_scores
from crm_core.errors import CrmError
from crm_core.overview import workspace_overview
from crm_core.settings import Settings, SettingsError, load_settings
from reports.terminal import analytics_refresh_text, demo_tour_text, import_summary_text


class Console:
    """Settings and database of one `crm` invocation, opened on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings(self.config)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None

    @cached_property
    def engine(self) -> Engine:
        return db.engine_for(self.settings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.default_timezone)


@click.group()
@click.option(
    "--config",
    envvar="CRM_CONFIG",
    type=click.Path(dir_okay=False),
    help="Settings file (default ./app.yaml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """A CRM that lives in Slack: this is its console and operator tool."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Console(config)


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(console: Console) -> None:
    """Create the database or migrate it to the newest schema."""
    engine = db.make_engine(console.settings.database_url_with_password)
    db.upgrade(engine)
    click.echo(f"{engine.url.render_as_string(hide_password=True)} is at the newest schema.")


@cli.group("analytics")
def analytics_group() -> None:
    """Customer-value models."""


@analytics_group.command("refresh")
@click.pass_obj
def analytics_refresh(console: Console) -> None:
    """Fit BG/NBD and Gamma-Gamma on all purchases and store every customer's CLV and churn risk."""
    with db.unit_of_work(console.engine) as session:
        fit = _explained(
            refresh_scores,
            session,
            team_id=console.settings.team_id,
            settings=console.settings.analytics,
            now=datetime.now(UTC),
        )
    click.echo(analytics_refresh_text(fit), nl=False)


@cli.command("import")
@click.argument("kind", type=click.Choice(importing.KINDS))
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
    """Import a CSV of customers, purchases, interactions or nps answers.

    All rows or none: if any row is bad nothing is written and the first 20 bad rows are
    listed. Importing the same file again adds nothing. Columns the import does not read are
    named in the summary. Follow-ups dated without a time are due at 9:00 in
    default_timezone.
    """
    settings = console.settings
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
        )
        counts = {"added": summary.added, "updated": summary.updated}
        audit.record(
            session, team_id=settings.team_id, user_id=None, action="import",
            target=f"{kind} from {file.name}", detail=counts,
        )  # fmt: skip
    click.echo(import_summary_text(summary, file), nl=False)


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete the workspace's data and load the demo again.")
@click.pass_obj
def demo_command(console: Console, reset: bool) -> None:
    """Load the CDNOW demo data into the database of app.yaml and print a short tour."""
    settings, tz = console.settings, console.tz
    load = None
    with db.unit_of_work(console.engine) as session:
        if reset:
            demo.clear_workspace(session, team_id=settings.team_id)
        if not demo.has_data(session, team_id=settings.team_id):
            bars: dict[str, object] = {}
            with _bars() as progress:

                def advance(kind: str, done: int, total: int) -> None:
                    if kind not in bars:
                        bars[kind] = progress.add_task(f"Importing {kind}", total=total)
                    progress.update(bars[kind], completed=done)  # type: ignore[arg-type]

                load = demo.load_demo(
                    session,
                    team_id=settings.team_id,
                    today=datetime.now(tz).date(),
                    tz=tz,
                    default_currency=settings.default_currency,
                    on_progress=advance,
                )
        else:
            click.echo("The demo data is already loaded (use --reset to load it afresh).\n")
        overview = workspace_overview(
            session, team_id=settings.team_id, now=datetime.now(tz), tz=tz
        )
    click.echo(
        demo_tour_text(
            overview=overview, load=load, team_id=settings.team_id, tz=tz, reps=demo.DEMO_REPS
        ),
        nl=False,
    )


def _explained(function, *args, **kwargs):
    """Run a domain call, turning its explained errors into a clean CLI error."""
    try:
        return function(*args, **kwargs)
    except CrmError as exc:
        raise click.ClickException(str(exc)) from None


def _bars() -> Progress:
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


def _load_plugins() -> None:
    for entry in entry_points(group="crm.cli"):
        command = entry.load()
        cli.add_command(command, entry.name)


def main() -> None:
    """Entry point of the `crm` console script."""
    _load_plugins()
    cli(prog_name="crm")
