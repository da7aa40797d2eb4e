"""Real purchase histories for analytics tests: the first customers of CDNOW."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import insert
from sqlmodel import select

from crm_core.demo import cdnow_purchases
from crm_core.models import Customer, Purchase

# CDNOW's last purchase was 30 June 1998; scores are computed as of the next day.
CDNOW_END = datetime(1998, 7, 1, tzinfo=UTC)


def load_cdnow(session, *, customers: int, team_id: str = "T1") -> pd.DataFrame:
    """Insert the first `customers` CDNOW customers and their purchases; return the purchases."""
    purchases = cdnow_purchases()
    purchases = purchases[purchases["customer_id"].astype(int) <= customers]
    ids = sorted(purchases["customer_id"].unique())
    session.execute(
        insert(Customer),
        [
            {
                "team_id": team_id,
                "name": f"CDNOW {i}",
                "normalized_name": f"cdnow {i}",
                "external_id": i,
                "owner_user_id": "U0OWNER01" if int(i) % 2 else "U0OWNER02",
                "segment": "Gold" if int(i) % 3 == 0 else "Silver",
            }
            for i in ids
        ],
    )
    by_external = dict(
        session.exec(
            select(Customer.external_id, Customer.id).where(Customer.team_id == team_id)
        ).all()
    )
    session.execute(
        insert(Purchase),
        [
            {
                "team_id": team_id,
                "customer_id": by_external[row.customer_id],
                "purchased_at": row.date.to_pydatetime().replace(tzinfo=UTC),
                "amount": row.amount,
                "currency": "USD",
            }
            for row in purchases.itertuples()
        ],
    )
    session.flush()
    return purchases
