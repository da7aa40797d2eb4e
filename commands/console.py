"""The console front end: `crm ask "..."` and the `crm chat` REPL, driving `dispatch`.

Nothing here imports the domain or the database layer at start-up: `crm ask help` answers
from the registry alone, and every other command opens the database when it runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from commands import results
from commands.actor import Actor, Backend, SlackSide
from commands.ctrl_c import outside_imports
from commands.dispatch import dispatch
from commands.parser import ParseError, UnknownVerb, parse
from commands.registry import spec_for
from commands.verbs import Help
from crm_core.private_files import create_private_file, write_private
from reports.chat import render_message, render_text

HISTORY = Path(os.environ.get("CRM_HISTORY", Path.home() / ".crm_history"))
_PROBLEMS = (results.Problem, results.NotFound, results.DidYouMean)
_LEAVE = ("quit", "exit", "q")


def console_actor(settings, user: str | None, tz: tzinfo | None) -> Actor:
    """The console user: an admin of the console workspace, in their own or the default zone."""
    return Actor(
        team_id=settings.team_id,
        user_id=user or "U0CONSOLE",
        tz=tz or ZoneInfo(settings.default_timezone),
        role="admin",
        source="console",
    )


def shown(answer: results.Answer, actor: Actor, backend: Backend) -> str:
    """The answer as the console prints it: people and channels by the directory's names."""
    from crm_core import directory
    from crm_core.db import unit_of_work
    from crm_core.errors import DatabaseGone

    try:
        with unit_of_work(backend.engine) as session:
            known = directory.names(session, team_id=actor.team_id)
    except DatabaseGone:  # the answer says so, and names nobody
        known = {}
    return render_text(answer, actor.tz, known)


def choices_of(result: object) -> list[results.Choice]:
    """The numbered ways forward an answer offers, if any."""
    if isinstance(result, results.NotFound):
        return result.suggestions
    return list(getattr(result, "choices", []) or [])


def time_zone(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tzinfo | None:
    """--tz as a zone, or a usage error that names the bad zone and how to write one."""
    if value is None:
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{value!r} is not a time zone I know. Write an IANA name such as "
            "Europe/Paris, America/New_York or UTC."
        ) from None


def help_answer(text: str, now: datetime) -> results.Answer | None:
    """`help [command]` answered from the registry alone, without settings or a database: the
    domain and its database layer would take most of a second to load. None for any other text."""
    if "share" in text.lower():  # dispatch reads `share` out of the text; leave it to dispatch
        return None
    try:
        command = parse(text)
    except (ParseError, UnknownVerb):
        return None
    if not isinstance(command, Help):
        return None
    # The help handler reads the registry and nothing of the request.
    return results.Answer(spec_for(command).handler(command, None), shown_at=now)


_AS = click.option(
    "--as", "user", envvar="CRM_USER", help="Slack user id to act as (default U0CONSOLE)."
)
_TZ = click.option(
    "--tz",
    callback=time_zone,
    help="IANA time zone to read and show dates in, e.g. Europe/Paris (default: app.yaml's).",
)


@click.command("ask")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the Slack Block Kit message instead of text."
)
@_AS
@_TZ
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
    tz: tzinfo | None,
    chart: str | None,
) -> None:
    """Run one chat command, e.g. crm ask "customer acme"; exits 1 when it could not run."""
    line = " ".join(text)
    answer = help_answer(line, datetime.now(UTC))
    shown_in, backend = tz or UTC, None
    if answer is None:
        actor = replace(console_actor(console.settings, user, tz), wants_chart=bool(chart))
        backend = _backend(console)
        answer = dispatch(line, actor, backend)
        shown_in = actor.tz
    if chart:
        from reports.charts import CHARTS, render_chart  # matplotlib loads only for a chart

        picture = render_chart(answer)
        if picture is None and not isinstance(answer.result, _PROBLEMS):
            raise click.ClickException(f"this answer has no chart; charts come with {CHARTS}")
        if picture is not None:
            write_private(chart, picture)
    if isinstance(answer.result, results.ExportReady):  # the files go where the operator runs it
        for name, data in answer.result.files.items():
            write_private(name, data)  # a customer's personal data: the operator's eyes only
    if as_json:
        click.echo(json.dumps(render_message(answer, shown_in), indent=2, ensure_ascii=False))
    elif backend is None:  # help: nobody to name
        click.echo(render_text(answer, shown_in), nl=False)
    else:
        click.echo(shown(answer, actor, backend), nl=False)
    if isinstance(answer.result, _PROBLEMS):
        raise SystemExit(1)


@click.command("chat")
@_AS
@_TZ
@click.pass_obj
def chat(console, user: str | None, tz: tzinfo | None) -> None:
    """Talk to the CRM as in Slack; type a choice's number to pick it.

    Ctrl-C stops a command that takes too long (what it changed is rolled back) or clears
    the line being typed; `quit` or Ctrl-D leaves.
    """
    actor = console_actor(console.settings, user, tz)
    backend = _backend(console)
    _load_history()
    click.echo("CRM console. Type `help` for what I understand, `quit` or Ctrl-D to leave.")
    offered: list[results.Choice] = []
    while True:
        try:
            line = input("crm> ").strip()
        except EOFError:
            click.echo()
            break
        except KeyboardInterrupt:  # as in a shell: the line is dropped, the session goes on
            click.echo("\n(Type `quit` or press Ctrl-D to leave.)")
            continue
        if line.lower() in _LEAVE:
            break
        if line.isdigit() and 0 < int(line) <= len(offered):
            line = offered[int(line) - 1].command
            click.echo(f"→ {line}")
        try:
            with outside_imports():
                answer = dispatch(line, replace(actor, now=datetime.now(UTC)), backend)
        except KeyboardInterrupt:  # dispatch's unit of work rolled back on the way out
            click.echo("Interrupted: the command stopped and what it changed was rolled back.")
            offered = []
            continue
        try:
            click.echo(shown(answer, actor, backend), nl=False)
        except KeyboardInterrupt:  # the command ran; only its answer was cut short
            click.echo("\n(Interrupted while showing the answer.)")
        offered = choices_of(answer.result)
        if offered:
            click.echo(
                "Type a number to pick: "
                + ", ".join(f"{n}) {c.label}" for n, c in enumerate(offered, 1))
            )
    _save_history()


def _backend(console) -> Backend:
    """The console's database and settings; Ctrl-C stops even a long SQLite statement."""
    from crm_core.db import stop_on_ctrl_c

    stop_on_ctrl_c(console.engine)
    return Backend(console.engine, console.settings, _slack_side(console))


def _slack_side(console) -> SlackSide | None:
    """Slack as the bot's package offers it (the `crm.slack` entry point) when a bot token
    is set, so `alerts subscribe` checks the channel and `alerts test` posts; None without."""
    if not os.environ.get("SLACK_BOT_TOKEN"):
        return None  # and the Slack SDK is not even imported
    from importlib.metadata import entry_points

    for entry in entry_points(group="crm.slack"):
        return entry.load()(console.engine, console.settings)
    return None


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
        create_private_file(HISTORY)  # what was typed names customers: the user's eyes only
        readline.write_history_file(HISTORY)
    except (ImportError, OSError):
        pass
