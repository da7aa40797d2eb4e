"""Spacing posts to one channel, across every process: a reservation per channel.

Slack accepts about one message a second per channel. Each poster reserves the channel's
next free moment with a compare-and-set on alert_channel_pace and sleeps until then, so
two bot instances delivering to the same channel do not post in the same second.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite

from crm_core.db import unit_of_work
from crm_core.models import AlertChannelPace


def reserve(
    engine: Engine, *, team_id: str, channel_id: str, now: datetime, pace: timedelta
) -> datetime:
    """The moment this poster may post to the channel (now or later), reserved for it."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    table = AlertChannelPace
    while True:
        with unit_of_work(engine) as session:
            current = session.get(table, (team_id, channel_id))
            if current is None:
                created = session.execute(
                    insert(table)
                    .values(team_id=team_id, channel_id=channel_id, next_post_at=now + pace)
                    .on_conflict_do_nothing(index_elements=["team_id", "channel_id"])
                    .returning(table.channel_id)
                ).first()
                if created is not None:
                    return now
                continue  # another poster created it first: read it again
            at = max(current.next_post_at, now)
            moved = session.execute(
                update(table)
                .where(
                    table.team_id == team_id,
                    table.channel_id == channel_id,
                    table.next_post_at == current.next_post_at,
                )
                .values(next_post_at=at + pace)
                .returning(table.channel_id)
            ).first()
            if moved is not None:
                return at
