"""The console front end: `crm ask "..."` and the `crm chat` REPL, driving `dispatch`."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from commands import results
from commands.actor import Actor, Backend
from commands.dispatch import dispatch
from commands.results import ExportReady
from crm_core import directory
from crm_core.db import unit_of_work
from reports.charts import CHARTS, render_chart
from reports.chat import render_message, render_text

HISTORY = Path(os.environ.get("CRM_HISTORY", Path.home() / ".crm_history"))
_PROBLEMS = (results.Problem, results.NotFound, results.DidYouMean)


def console_actor(settings, user: str | None, tz: str | None) -> Actor:
    """The console user: an admin of the console workspace, in their own or the default zone."""
    return Actor(
        team_id=settings.team_id,
        user_id=user or "U0CONSOLE",
        tz=ZoneInfo(tz or settings.default_timezone),
        role="admin",
        source="console",
    )


def shown(answer: results.Answer, actor: Actor, backend: Backend) -> str:
    """The answer as the console prints it: people and channels by the directory's names."""
    with unit_of_work(backend.engine) as session:
        known = directory.names(session, team_id=actor.team_id)
    return render_text(answer, actor.tz, known)


def choices_of(result: object) -> list[results.Choice]:
    """The numbered ways forward an answer offers, if any."""
    if isinstance(result, results.NotFound):
        return result.suggestions
    return list(getattr(result, "choices", []) or [])


@click.command("ask")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the Slack Block Kit message instead of text."
)
@click.option(
    "--as", "user", envvar="CRM_USER", help="Slack user id to act as (default U0CONSOLE)."
)
@click.option("--tz", help="Time zone to read and show dates in (default: app.yaml's).")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the answer's chart (PNG) here.",
)
@click.pass_obj
def ask(
    console,
    text: tuple[str, ...],
    as_json: bool,
    user: str | None,
    tz: str | None,
    chart: str | None,
) -> None:
    """Run one chat command, e.g. crm ask "customer acme"; exits 1 when it could not run."""
    actor = replace(console_actor(console.settings, user, tz), wants_chart=bool(chart))
    backend = Backend(console.engine, console.settings)
    answer = dispatch(" ".join(text), actor, backend)
    if chart:
        picture = render_chart(answer)
        if picture is None and not isinstance(answer.result, _PROBLEMS):
            raise click.ClickException(f"this answer has no chart; charts come with {CHARTS}")
        if picture is not None:
            Path(chart).write_bytes(picture)
    if isinstance(answer.result, ExportReady):  # the files go where the operator runs it
        for name, data in answer.result.files.items():
            Path(name).write_bytes(data)
    if as_json:
        click.echo(json.dumps(render_message(answer, actor.tz), indent=2, ensure_ascii=False))
    else:
        click.echo(shown(answer, actor, backend), nl=False)
    if isinstance(answer.result, _PROBLEMS):
        raise SystemExit(1)


@click.command("chat")
@click.option(
    "--as", "user", envvar="CRM_USER", help="Slack user id to act as (default U0CONSOLE)."
)
@click.option("--tz", help="Time zone to read and show dates in (default: app.yaml's).")
@click.pass_obj
def chat(console, user: str | None, tz: str | None) -> None:
    """Talk to the CRM as in Slack; type a choice's number to pick it, `quit` to leave."""
    actor = console_actor(console.settings, user, tz)
    backend = Backend(console.engine, console.settings)
    _load_history()
    click.echo("CRM console. Type `help` for what I understand, `quit` to leave.")
    offered: list[results.Choice] = []
    while True:
        try:
            line = input("crm> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if line.lower() in ("quit", "exit", "q"):
            break
        if line.isdigit() and 0 < int(line) <= len(offered):
            line = offered[int(line) - 1].command
            click.echo(f"→ {line}")
        answer = dispatch(line, replace(actor, now=datetime.now(UTC)), backend)
        click.echo(shown(answer, actor, backend), nl=False)
        offered = choices_of(answer.result)
        if offered:
            click.echo(
                "Type a number to pick: "
                + ", ".join(f"{n}) {c.label}" for n, c in enumerate(offered, 1))
            )
    _save_history()


def _load_history() -> None:
    try:
        import readline

        if HISTORY.exists():
            readline.read_history_file(HISTORY)
    except (ImportError, OSError):
        pass


def _save_history() -> None:
    try:
        import readline

        readline.set_history_length(1000)
        readline.write_history_file(HISTORY)
    except (ImportError, OSError):
        pass
