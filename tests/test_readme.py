"""Every `crm` command is documented in the README and has help text."""

from __future__ import annotations

from pathlib import Path

import click

from commands.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def walk(group: click.Group, prefix: str = "crm"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from walk(command, path)
        else:
            yield path, command


def test_every_cli_command_is_in_the_readme_with_help():
    commands = dict(walk(cli))
    assert {"crm import", "crm demo", "crm db upgrade"} <= set(commands)
    for path, command in commands.items():
        assert f"`{path}" in README, f"{path} is missing from README.md"
        assert (command.help or "").strip(), f"{path} has no help text"


def test_the_readme_names_the_two_setup_commands():
    assert "make demo" in README and "make test" in README


def test_every_chat_verb_is_in_the_readme_with_help_and_examples():
    from commands.registry import VERBS

    for spec in VERBS:
        assert f"`{spec.usage.replace('|', chr(92) + '|')}`" in README, (
            f"{spec.name} usage missing from README"
        )
        assert spec.summary.strip() and spec.examples, f"{spec.name} has no help text or examples"
        for example in spec.examples[:1]:
            assert example.split()[0] in README
