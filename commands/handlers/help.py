"""help and help <command>."""

from __future__ import annotations

from commands.request import Request
from commands.results import HelpText, Problem, VerbHelp
from commands.verbs import Help


def show(command: Help, request: Request) -> HelpText | Problem:
    from commands.registry import VERBS, closest_verbs, find_verb  # the registry imports handlers

    if command.topic:
        spec = find_verb(command.topic)
        if spec is None:
            close = closest_verbs(command.topic.split()[0])
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            return Problem(f"there is no command {command.topic!r}{hint} Type `help` for the list.")
        return HelpText([_verb_help(spec)], topic=spec.name)
    return HelpText([_verb_help(spec) for spec in VERBS])


def _verb_help(spec) -> VerbHelp:
    return VerbHelp(spec.name, spec.usage, spec.summary, spec.examples)
