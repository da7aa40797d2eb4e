"""How often one person may run the heavy verbs: the ones that post to Slack, fit models or
build files and charts, so that one user's burst cannot slow everyone else's answers.

The limit is a minimum time between two runs of the same verb by the same user of a
workspace, kept in the memory of each process: with several workers a user may run a verb
once per worker in the interval. That bounds a burst, which is what it is for; it is no
quota. It applies to requests from Slack, where many people share the server's workers;
the console is one operator at their own terminal. The clock is the request's
(`Actor.now`), so tests and replays are exact.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime

from commands.actor import Actor

# Verb -> seconds between two runs by one user.
HEAVY: dict[str, int] = {
    "alerts test": 30,
    "clv check": 60,
    "export": 10,
}
# A chart drawn for any other verb: seconds between two charts of that verb by one user.
CHART_SECONDS = 5
_last_run: dict[tuple[str, str, str], datetime] = {}
_lock = threading.Lock()
_PRUNE_AT = 10_000  # remembered runs before the expired ones are dropped


def wait_before(actor: Actor, verb: str) -> str | None:
    """None, noting this run, when `actor` may run `verb` now; otherwise how long to wait."""
    if actor.source != "slack":
        return None
    name = f"{verb} chart" if actor.wants_chart and verb not in HEAVY else verb
    interval = CHART_SECONDS if name.endswith(" chart") else HEAVY.get(name)
    if interval is None:
        return None
    key = (actor.team_id, actor.user_id, name)
    with _lock:
        last = _last_run.get(key)
        if last is not None:
            left = interval - (actor.now - last).total_seconds()
            if left > 0:
                what = f"`{name}`" if name in HEAVY else f"a chart of `{verb}`"
                return (
                    f"you can run this again in {math.ceil(left)} s: {what} runs at most once "
                    f"every {interval} s per person, so that it never slows the CRM for others."
                )
        if len(_last_run) >= _PRUNE_AT:
            _prune(actor.now)
        _last_run[key] = actor.now
    return None


def _prune(now: datetime) -> None:
    longest = max(*HEAVY.values(), CHART_SECONDS)
    for key in [k for k, at in _last_run.items() if (now - at).total_seconds() > longest]:
        del _last_run[key]


def forget_runs() -> None:
    """Start afresh (a test's own clock may run backwards from the previous test's)."""
    with _lock:
        _last_run.clear()
