"""Taking on a delivery once: a sender's retry of the same event is recognised and dropped.

The record is a row keyed by (workspace, delivery id), inserted with ON CONFLICT DO NOTHING
in its own transaction, so of several processes given the same delivery exactly one wins,
and a restart remembers what was handled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from crm_core.db import unit_of_work
from crm_core.models import Delivery
from crm_core.models.types import utcnow

# Slack retries within minutes; a day's records are plenty.
KEEP = timedelta(days=1)


def take_delivery(engine: Engine, *, team_id: str, key: str, now: datetime | None = None) -> bool:
    """True for the first delivery with this key, False for every retry of it."""
    now = now or utcnow()
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Delivery)
        .values(team_id=team_id, key=key[:200], received_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
        .returning(Delivery.key)
    )
    with unit_of_work(engine) as session:
        taken = session.execute(statement).first() is not None
        if taken:  # forget deliveries too old to be retried (an index range, usually empty)
            session.execute(delete(Delivery).where(Delivery.received_at < now - KEEP))
    return taken
