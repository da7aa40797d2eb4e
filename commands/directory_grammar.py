"""The grammar of `people ...` and `channels ...`: the names the console knows."""

from __future__ import annotations

import re

from commands.verbs import People

_IDS = {"user": re.compile(r"^[UW][A-Z0-9]{2,31}$"), "channel": re.compile(r"^[CG][A-Z0-9]{2,31}$")}
_EXAMPLES = {
    "user": ("people", "@jane", "people add @jane U024BE7LH Jane Roe", "member", "their profile"),
    "channel": ("channels", "#sales", "channels add #sales C0123ABCD", "channel", "its details"),
}


class DirectoryParseError(ValueError):
    def __init__(self, verb: str, problem: str) -> None:
        self.verb = verb
        self.problem = problem
        super().__init__(problem)


def parse_directory(command: type[People], rest: str) -> People:
    """`rest` is what follows "people" (People) or "channels" (Channels)."""
    verb, example, usage, what, where = _EXAMPLES[command.kind]
    action, _, body = rest.strip().partition(" ")
    action = action.lower()
    if action in ("", "list", "ls"):
        return command()
    if action in ("remove", "rm", "delete", "forget"):
        if not body.strip():
            raise DirectoryParseError(verb, f"remove which? e.g. {verb} remove {example}")
        return command("remove", body.strip())
    if action not in ("add", "set"):
        raise DirectoryParseError(
            verb, f"{action!r} is not something {verb} does: use {verb}, {verb} add, {verb} remove"
        )
    words = body.split()
    ids = [w for w in words if _IDS[command.kind].match(w)]
    if len(ids) != 1 or len(words) < 2:
        raise DirectoryParseError(
            verb,
            f"give the name to type and the Slack {what} id, e.g. {usage} (in Slack: {where}, "
            f"⋮ → Copy {what} ID)",
        )
    rest_words = [w for w in words if w != ids[0]]
    return command("add", rest_words[0], ids[0], " ".join(rest_words[1:]) or None)
