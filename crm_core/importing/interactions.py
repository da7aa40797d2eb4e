"""Importing activity history: customer, date, and optionally kind, summary, author, follow-up."""

from __future__ import annotations

from datetime import time, tzinfo

import pandas as pd
from sqlmodel import Session

from crm_core import directory
from crm_core.errors import InvalidInput
from crm_core.importing.keys import row_keys
from crm_core.importing.parsing import CellParser
from crm_core.importing.refs import known_customers
from crm_core.importing.summary import ImportSummary
from crm_core.importing.writing import Progress, insert_new
from crm_core.interactions import SUMMARY_MAX
from crm_core.models import Interaction, InteractionKind, utcnow

# A follow-up dated without a time is due at 9:00 local, as a chat "follow up friday" is.
FOLLOW_UP_TIME = time(9, 0)
# Words other CRMs export for our kinds.
_KIND_SYNONYMS = {"phone": "call", "phone call": "call", "mail": "email", "e-mail": "email",
                  "visit": "meeting", "demo": "meeting", "comment": "note", "": "note"}  # fmt: skip


def load_interactions(
    session: Session,
    parser: CellParser,
    *,
    team_id: str,
    tz: tzinfo,
    dayfirst: bool,
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Add the file's interactions to customers the CRM already knows."""
    refs = parser.required_text("customer", "the customer")
    dates = parser.dates("date", tz=tz, dayfirst=dayfirst)
    kinds = parser.map_unique("kind", _kind)
    summaries = parser.limited_text("summary", SUMMARY_MAX)
    authors = parser.slack_users("author_user_id", directory.ids_by_name(session, team_id=team_id))
    follow_ups = parser.dates(
        "follow_up_at", tz=tz, dayfirst=dayfirst, optional=True, default_time=FOLLOW_UP_TIME
    )
    done = parser.flags("follow_up_done")
    ids = parser.unique_ids("external_id", "interaction id")
    customer_ids = known_customers(session, parser, refs, team_id=team_id)
    parser.raise_if_bad()
    assert dates is not None

    n = len(refs)
    kind_list = kinds.tolist() if kinds is not None else ["note"] * n
    summary_list = summaries.tolist() if summaries is not None else [""] * n
    epoch = dates.astype("int64") // 1_000_000_000
    keys = row_keys("csv", [part for part in (refs, epoch, kinds, summaries) if part is not None])
    if ids is not None:
        keys = ("csv-id:" + ids).where(ids != "", keys)
    when, key_list = list(dates.dt.to_pydatetime()), keys.tolist()
    author_list = authors.tolist() if authors is not None else [None] * n
    follow_list = [None] * n
    if follow_ups is not None:
        follow_list = [None if value is pd.NaT else value.to_pydatetime() for value in follow_ups]
    done_list = done.tolist() if done is not None else [False] * n
    now = utcnow()

    def rows(start: int, stop: int) -> list[dict]:
        return [
            {
                "team_id": team_id,
                "customer_id": customer_ids[i],
                "kind": kind_list[i],
                "summary": summary_list[i],
                "occurred_at": when[i],
                "author_user_id": author_list[i],
                "source": "import",
                "follow_up_at": follow_list[i],
                "follow_up_done": bool(done_list[i]) and follow_list[i] is not None,
                "follow_up_done_at": now if done_list[i] and follow_list[i] is not None else None,
                "idempotency_key": key_list[i],
                "created_at": now,
            }
            for i in range(start, stop)
        ]

    added = insert_new(
        session,
        Interaction.__table__,
        rows,
        n,  # type: ignore[attr-defined]
        unique=("team_id", "idempotency_key"),
        team_id=team_id,
        on_progress=on_progress,
    )
    return ImportSummary("interactions", rows=n, added=added, unchanged=n - added)


def _kind(text: str) -> str:
    value = text.strip().lower()
    value = _KIND_SYNONYMS.get(value, value)
    try:
        return InteractionKind(value).value
    except ValueError:
        allowed = ", ".join(k.value for k in InteractionKind)
        raise InvalidInput(f"{text!r} is not a kind of interaction; use one of {allowed}") from None
