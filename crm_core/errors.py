"""Domain exceptions. Front ends turn each into a friendly reply with a next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CrmError(Exception):
    """Base of every error the CRM explains to a user instead of crashing."""


class InvalidInput(CrmError, ValueError):
    """A value a user supplied breaks a rule; the message says which and what to do."""


class InvalidScore(InvalidInput):
    """An NPS answer that is not a whole number from 0 to 10."""


class DuplicateExternalId(InvalidInput):
    """Another customer in the workspace already has this external id."""


class DatabaseGone(CrmError):
    """The SQLite file this process opened was deleted or replaced since; nothing was written."""


@dataclass(frozen=True)
class Suggestion:
    """A customer that nearly matched what was typed, with its similarity (0-100)."""

    customer_id: int
    name: str
    score: float


class CustomerNotFound(CrmError):
    """No customer matches; `suggestions` holds the closest names, best first."""

    def __init__(self, query: str, suggestions: Sequence[Suggestion] = ()) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        super().__init__(f"no customer matches {query!r}")


class AmbiguousCustomer(CrmError):
    """Several customers match about equally well; the user must choose."""

    def __init__(self, query: str, candidates: Sequence[Suggestion]) -> None:
        self.query = query
        self.candidates = list(candidates)
        names = ", ".join(c.name for c in self.candidates)
        super().__init__(f"{query!r} could be any of: {names}")


class InteractionNotFound(CrmError):
    """No interaction with that number in the workspace."""


class FollowUpNotFound(CrmError):
    """No open follow-up with that id in the workspace."""


class UnknownName(CrmError):
    """A person or channel named in chat that neither Slack's mention nor the directory says."""


class SubscriptionNotFound(CrmError):
    """No active alert subscription with that id in the workspace."""


class DuplicateSubscription(CrmError):
    """The channel already has an active subscription with the same schedule and filters."""

    def __init__(self, existing_id: int, message: str) -> None:
        self.existing_id = existing_id
        super().__init__(message)
