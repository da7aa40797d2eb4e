"""Recording Net Promoter Score answers (0-10)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from crm_core.customers import get_customer
from crm_core.errors import InvalidInput, InvalidScore
from crm_core.models import NpsResponse, utcnow

COMMENT_MAX = 10_000


def valid_score(value: object) -> int:
    """The score as an int if it is a whole number from 0 to 10, else InvalidScore saying why."""
    if isinstance(value, bool):
        raise InvalidScore(
            f"{value!r} is not a score; an NPS answer is a whole number from 0 to 10"
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d++", value.strip()):
        number = int(value)
    elif isinstance(value, float | str):
        raise InvalidScore(
            f"{value!r} is not a whole number; an NPS answer is one of 0, 1, 2 ... 10"
        )
    else:
        raise InvalidScore(
            f"{value!r} is not a score; an NPS answer is a whole number from 0 to 10"
        )
    if not 0 <= number <= 10:
        raise InvalidScore(
            f"{number} is outside 0-10; an NPS answer is a whole number from 0 to 10"
        )
    return number


def record_nps(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    score: object,
    comment: str | None = None,
    responded_at: datetime | None = None,
    author_user_id: str | None = None,
) -> NpsResponse:
    """Record one NPS answer for a customer."""
    number = valid_score(score)
    comment = (comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise InvalidInput(
            f"the comment is {len(comment):,} characters; the limit is {COMMENT_MAX:,}"
        )
    get_customer(session, team_id=team_id, customer_id=customer_id)
    response = NpsResponse(
        team_id=team_id,
        customer_id=customer_id,
        score=number,
        comment=comment,
        responded_at=responded_at or utcnow(),
        author_user_id=author_user_id,
    )
    session.add(response)
    session.flush()
    return response
