"""Ctrl-C during a chat command: a KeyboardInterrupt as usual, except in the middle of an import.

A module interrupted while it loads is left half-initialised, and some never load again in
that process (pandas refuses with "Option 'compute.use_bottleneck' has already been
registered"), so the next command that needs it would crash the chat. The first analytics
command of a session spends a second or two importing, which is when people press Ctrl-C.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# How often a Ctrl-C held back during an import asks again whether the import is done.
_RETRY_SECONDS = 0.05


@contextmanager
def outside_imports() -> Iterator[None]:
    """Within the block, Ctrl-C raises KeyboardInterrupt as soon as no import is running."""
    held = threading.Event()  # a Ctrl-C came during an import and is still to be raised
    done = threading.Event()

    def on_ctrl_c(_signum: int, frame: FrameType | None) -> None:
        if done.is_set():
            return
        if _importing(frame):
            held.set()
            return
        held.clear()
        raise KeyboardInterrupt

    def ask_again() -> None:
        main = threading.main_thread().ident
        while not done.wait(_RETRY_SECONDS):
            if held.is_set() and main is not None:  # a real signal, to wake a blocking call
                signal.pthread_kill(main, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    asker = threading.Thread(target=ask_again, daemon=True)
    asker.start()
    try:
        yield
    except sqlite3.OperationalError as exc:
        # A statement the Ctrl-C aborted through a raw driver cursor (the bulk reads and
        # writes of analytics), which SQLAlchemy's error hook does not see: the same Ctrl-C.
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
            raise KeyboardInterrupt from exc
        raise
    finally:
        done.set()
        asker.join()
        signal.signal(signal.SIGINT, previous)


def _importing(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False
