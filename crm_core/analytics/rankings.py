"""The top of each ranking, stored by a refresh so answers need not rank every customer.

"clv" holds the customers with the highest CLV; "value_at_risk" those under the fit's
P(alive) threshold with the most value at risk. Each keeps its first RANKED customers. A
reader filtering by owner or segment takes the first matches in ranking order: when the
stored top holds enough of them they are the answer (a customer left out ranks below every
stored one); otherwise the reader ranks all the customers itself (`needs_full_ranking`).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete, select
from sqlmodel import Session

from crm_core.analytics.writing import bulk_insert
from crm_core.models import ScoreRank

CLV = "clv"
VALUE_AT_RISK = "value_at_risk"
RANKED = 1_000


def write(
    session: Session,
    *,
    team_id: str,
    customer_ids: np.ndarray,
    clv: np.ndarray,
    value_at_risk: np.ndarray,
    at_risk: np.ndarray,
) -> None:
    """Replace the workspace's rankings: all customers by `clv`, those `at_risk` by value."""
    session.execute(delete(ScoreRank).where(ScoreRank.team_id == team_id))
    risky = np.flatnonzero(at_risk)
    rows = [
        (team_id, CLV, position, int(customer_id))
        for position, customer_id in enumerate(_top(clv, customer_ids))
    ]
    rows += [
        (team_id, VALUE_AT_RISK, position, int(customer_id))
        for position, customer_id in enumerate(_top(value_at_risk[risky], customer_ids[risky]))
    ]
    bulk_insert(session, "score_rank", ("team_id", "ranking", "position", "customer_id"), rows)


def _top(values: np.ndarray, customer_ids: np.ndarray) -> np.ndarray:
    """The customers with the RANKED largest values, largest first (equal values by id)."""
    if len(values) > RANKED:
        chosen = np.argpartition(-values, RANKED - 1)[:RANKED]
    else:
        chosen = np.arange(len(values))
    return customer_ids[chosen[np.lexsort((customer_ids[chosen], -values[chosen]))]]


def needs_full_ranking(
    session: Session, *, team_id: str, ranking: str, found: int, wanted: int
) -> bool:
    """Whether `found` matches among the stored top fall short of a full ranking's answer."""
    if found >= wanted:
        return False
    return (
        session.execute(
            select(ScoreRank.position).where(
                ScoreRank.team_id == team_id,
                ScoreRank.ranking == ranking,
                ScoreRank.position == RANKED - 1,
            )
        ).first()
        is not None
    )
