"""Importing NPS answers: customer, score 0-10, date, and optionally a comment."""

from __future__ import annotations

from datetime import tzinfo

from sqlmodel import Session

from crm_core.importing.keys import row_keys
from crm_core.importing.parsing import CellParser
from crm_core.importing.refs import known_customers
from crm_core.importing.summary import ImportSummary
from crm_core.importing.writing import Progress, insert_new
from crm_core.models import NpsResponse, utcnow
from crm_core.nps import COMMENT_MAX


def load_nps(
    session: Session,
    parser: CellParser,
    *,
    team_id: str,
    tz: tzinfo,
    dayfirst: bool,
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Add the file's NPS answers to customers the CRM already knows."""
    refs = parser.required_text("customer", "the customer")
    scores = parser.scores("score")
    dates = parser.dates("date", tz=tz, dayfirst=dayfirst)
    comments = parser.limited_text("comment", COMMENT_MAX)
    ids = parser.unique_ids("external_id", "response id")
    customer_ids = known_customers(session, parser, refs, team_id=team_id)
    parser.raise_if_bad()
    assert dates is not None

    epoch = dates.astype("int64") // 1_000_000_000
    keys = row_keys("csv", [refs, epoch, scores] + ([comments] if comments is not None else []))
    if ids is not None:
        keys = ids.where(ids != "", keys)
    when, score_list, key_list = list(dates.dt.to_pydatetime()), scores.tolist(), keys.tolist()
    comment_list = comments.tolist() if comments is not None else [""] * len(refs)
    now = utcnow()

    def rows(start: int, stop: int) -> list[dict]:
        return [
            {
                "team_id": team_id,
                "customer_id": customer_ids[i],
                "score": score_list[i],
                "comment": comment_list[i] or None,
                "responded_at": when[i],
                "external_id": key_list[i],
                "created_at": now,
            }
            for i in range(start, stop)
        ]

    added = insert_new(
        session,
        NpsResponse.__table__,
        rows,
        len(refs),  # type: ignore[attr-defined]
        unique=("team_id", "external_id"),
        team_id=team_id,
        on_progress=on_progress,
    )
    return ImportSummary("nps", rows=len(refs), added=added, unchanged=len(refs) - added)
