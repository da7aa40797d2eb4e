"""A delivery is taken on once, however many workers see it at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from crm_core.deliveries import KEEP, take_delivery
from crm_core.models.types import utcnow


def test_of_concurrent_takers_exactly_one_wins(engine):
    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _: take_delivery(engine, team_id="T1", key="Ev1"), range(8)))
    assert taken.count(True) == 1
    assert take_delivery(engine, team_id="T2", key="Ev1")  # another workspace's event


def test_old_deliveries_are_forgotten(engine):
    long_ago = utcnow() - KEEP - timedelta(hours=1)
    assert take_delivery(engine, team_id="T1", key="Ev-old", now=long_ago)
    assert take_delivery(engine, team_id="T1", key="Ev-new")  # prunes what is past KEEP
    assert take_delivery(engine, team_id="T1", key="Ev-old")
    assert not take_delivery(engine, team_id="T1", key="Ev-new")
