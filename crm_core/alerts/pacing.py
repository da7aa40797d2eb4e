"""Spacing posts to one channel, across every process: a short hold on the channel.

Slack accepts about one message a second per channel. A poster takes the channel's row
(compare-and-set: only when its `next_post_at` has come), posts, and sets `next_post_at` to
a pace after the post ended; another poster, in this process or another, waits until then.
A holder that dies lets go when its hold expires (HOLD).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite

from crm_core.db import unit_of_work
from crm_core.models import AlertChannelPace, utcnow

HOLD = timedelta(seconds=30)  # longer than a post with the client's retries takes
POLL = 0.05  # seconds between two looks at a held channel


@contextmanager
def channel_turn(
    engine: Engine, *, team_id: str, channel_id: str, pace: timedelta
) -> Iterator[None]:
    """Wait for the channel's turn, hold it while the block posts, then space the next post."""
    held_until = _take(engine, team_id, channel_id)
    try:
        yield
    finally:
        with unit_of_work(engine) as session:
            session.execute(
                update(AlertChannelPace)
                .where(
                    AlertChannelPace.team_id == team_id,
                    AlertChannelPace.channel_id == channel_id,
                    AlertChannelPace.next_post_at == held_until,
                )
                .values(next_post_at=utcnow() + pace)
            )


def _take(engine: Engine, team_id: str, channel_id: str):
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    table = AlertChannelPace
    while True:
        now = utcnow()
        held_until = now + HOLD
        with unit_of_work(engine) as session:
            created = session.execute(
                insert(table)
                .values(team_id=team_id, channel_id=channel_id, next_post_at=held_until)
                .on_conflict_do_nothing(index_elements=["team_id", "channel_id"])
                .returning(table.channel_id)
            ).first()
            if created is not None:
                return held_until
            taken = session.execute(
                update(table)
                .where(
                    table.team_id == team_id,
                    table.channel_id == channel_id,
                    table.next_post_at <= now,
                )
                .values(next_post_at=held_until)
                .returning(table.channel_id)
            ).first()
            if taken is not None:
                return held_until
            free_at = session.get(table, (team_id, channel_id)).next_post_at
        time.sleep(min(max((free_at - utcnow()).total_seconds(), POLL), 1.0))
