"""The `crm` command line: the console front end, and the operator's import/demo/db tools.

Other packages add subcommands through the `crm.cli` entry-point group (the bot adds
`serve`), so this module never imports them. Each command imports the domain, pandas and the
database layer when it runs: `crm ask help` needs none of them and starts in a fraction of
the time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from commands.console import ask, chat
from crm_core.errors import CrmError

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine

    from crm_core.settings import Settings


class ImportKind(click.ParamType):
    """customers, purchases, interactions or nps, as crm_core.importing names them; read when
    the import command runs, since importing it (pandas) at every start would double the time
    of `crm ask help`."""

    name = "kind"

    def _choice(self) -> click.Choice:
        from crm_core.importing import KINDS

        return click.Choice(KINDS)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self._choice().get_metavar(param, ctx)

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        return self._choice().get_missing_message(param, ctx)

    def convert(self, value, param, ctx):
        return self._choice().convert(value, param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        return self._choice().shell_complete(ctx, param, incomplete)


class Console:
    """Settings and database of one `crm` invocation, opened on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        from crm_core.settings import SettingsError, load_settings

        try:
            return load_settings(self.config)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None

    @cached_property
    def engine(self) -> Engine:
        from crm_core import db

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
    from crm_core import db

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
    from crm_core import db
    from crm_core.analytics.scoring import refresh_scores
    from reports.terminal import analytics_refresh_text

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
@click.argument("kind", type=ImportKind())
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dayfirst", is_flag=True, help="Read 01/02/1997 as 1 February (default: 2 January)."
)
@click.pass_obj
def import_command(console: Console, kind: str, file: Path, dayfirst: bool) -> None:
    """Import a CSV of customers, purchases, interactions or nps answers.

    All rows or none: if any row is bad nothing is written and the first 20 bad rows are
    listed. Importing the same file again adds nothing.
    """
    from crm_core import audit, db, importing
    from reports.terminal import import_summary_text

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
    from crm_core import db, demo
    from crm_core.overview import workspace_overview
    from reports.terminal import demo_tour_text

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


def _load_plugins() -> None:
    for entry in entry_points(group="crm.cli"):
        command = entry.load()
        cli.add_command(command, entry.name)


def main() -> None:
    """Entry point of the `crm` console script."""
    _load_plugins()
    cli(prog_name="crm")
