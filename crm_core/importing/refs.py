"""Matching the customer column of an import to customers: by external id, then by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import insert, select
from sqlmodel import Session

from crm_core.importing.parsing import CellParser
from crm_core.models import Customer, CustomerMerge, utcnow
from crm_core.names import normalize_name


class CustomerRefs:
    """The workspace's customers, indexed the ways an import may name them."""

    def __init__(self, session: Session, team_id: str) -> None:
        self.session = session
        self.team_id = team_id
        self.by_external: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.reload()

    def reload(self) -> None:
        rows = self.session.execute(
            select(Customer.id, Customer.external_id, Customer.normalized_name).where(
                Customer.team_id == self.team_id
            )
        ).all()
        merged = self.session.execute(
            select(CustomerMerge.merged_external_id, CustomerMerge.kept_customer_id)
            .where(
                CustomerMerge.team_id == self.team_id, CustomerMerge.merged_external_id.is_not(None)
            )
            .order_by(CustomerMerge.id)
        ).all()
        self.by_external = {external: kept for external, kept in merged}
        self.by_external.update({external: id_ for id_, external, _ in rows if external})
        names = Counter(name for _, _, name in rows)
        self.by_name = {name: id_ for id_, _, name in rows if names[name] == 1}

    def find(self, ref: str) -> int | None:
        """The id of the customer `ref` names: its external id, else a name only it has."""
        found = self.by_external.get(ref)
        if found is None:
            found = self.by_name.get(normalize_name(ref))
        return found

    def create_missing(self, refs: Iterable[str]) -> list[str]:
        """Create a customer (name and external id = ref) for each ref not yet known."""
        missing = sorted({ref for ref in refs if self.find(ref) is None})
        if missing:
            now = utcnow()
            self.session.execute(
                insert(Customer),
                [
                    {
                        "team_id": self.team_id,
                        "name": ref,
                        "normalized_name": normalize_name(ref) or ref.lower(),
                        "external_id": ref,
                        "created_at": now,
                    }
                    for ref in missing
                ],
            )
            self.reload()
        return missing


def known_customers(
    session: Session, parser: CellParser, refs: pd.Series, *, team_id: str
) -> list[int | None]:
    """Customer ids for each row; a customer the CRM does not know is a bad row."""
    customer_refs = CustomerRefs(session, team_id)
    ids = [customer_refs.find(ref) for ref in refs]
    unknown = pd.Series([found is None for found in ids], index=refs.index) & (refs != "")
    for line, ref in refs[unknown].items():
        parser.add_error(
            int(line),
            "customer",
            f"no customer {ref!r}; import customers (or their purchases) first",
        )
    return ids
