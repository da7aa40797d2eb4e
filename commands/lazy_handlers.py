"""Handlers the registry names, each module imported on the first call of one of its handlers.

The handlers pull in the domain, its tables and the database layer (a third of a second at
every start); `help`, the parser's "did you mean" and the console read the registry without
them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Handler:
    """The function `function` of commands/handlers/`module`.py, imported when it first runs."""

    module: str
    function: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def resolve(self) -> Callable:
        """The handler function itself, importing its module if need be."""
        return getattr(importlib.import_module(f"commands.handlers.{self.module}"), self.function)


class HandlerModule:
    """A handlers module by name, not yet imported: `interactions.log` is a Handler."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, function: str) -> Handler:
        if function.startswith("__"):  # copy, pickle and friends probe for these
            raise AttributeError(function)
        return Handler(self.name, function)


def import_all() -> int:
    """Import every handlers module now, for a server whose first requests should not wait for
    them (the console, which runs one command, does not); how many there are."""
    from commands import handlers

    names = [module.name for module in pkgutil.iter_modules(handlers.__path__)]
    for name in names:
        importlib.import_module(f"commands.handlers.{name}")
    return len(names)
