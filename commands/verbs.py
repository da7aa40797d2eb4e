"""The commands the chat language knows, as plain data: what the parser produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class LogInteraction:
    kind: str
    # "Acme: talked renewal" before the handler knows where the customer's name ends.
    customer_and_summary: str
    customer: str | None
    summary: str
    follow_up: str | None = None
    # When it happened, as typed ("yesterday", "on monday"); None: now.
    occurred: str | None = None
    # The when-phrase ended the customer's name ("acme yesterday"): a customer named so wins.
    occurred_from_name: bool = False


@dataclass(frozen=True)
class Remind:
    """remind me to call acme friday: a follow-up with nothing logged before it."""

    action: str  # "call", "send", "follow up with"...
    customer_and_rest: str  # "acme about the renewal", before the handler knows the name's end
    when: str


@dataclass(frozen=True)
class ShowCustomer:
    customer: str


@dataclass(frozen=True)
class FindCustomers:
    text: str


@dataclass(frozen=True)
class AddCustomer:
    name: str
    email: str | None = None
    owner: str | None = None
    segment: str | None = None
    # `as new`: add it even though a customer of the same normalized name exists.
    as_new: bool = False


@dataclass(frozen=True)
class AddContact:
    name: str
    customer: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class RecordPurchase:
    customer: str
    amount: str
    on: str | None = None


@dataclass(frozen=True)
class RecordNps:
    customer: str
    score: str
    comment: str | None = None


@dataclass(frozen=True)
class ListFollowUps:
    scope: Literal["mine", "user", "today", "overdue", "all"] = "mine"
    person: str | None = None  # as typed: @jane, a Slack mention, Jane Roe


@dataclass(frozen=True)
class CompleteFollowUp:
    target: str


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class ShowClv:
    """clv [top N] [segment x] [owner @u], or clv <customer>."""

    customer: str | None = None
    top: int = 10
    segment: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class CheckClvModels:
    """clv check [holdout N weeks]: which purchase model forecasts the last weeks best."""

    holdout_weeks: int | None = None  # None: a quarter of the span, at most 52


@dataclass(frozen=True)
class ShowChurnRisk:
    top: int = 10
    owner: str | None = None  # "me", a Slack mention or a name the directory knows
    segment: str | None = None


@dataclass(frozen=True)
class ShowChurnRate:
    period: Literal["month", "quarter"] = "month"


@dataclass(frozen=True)
class ShowRetention:
    cohorts: bool = False


@dataclass(frozen=True)
class ShowNps:
    days: int = 90
    by: Literal["segment", "owner"] | None = None
    # A calendar period instead of the last `days`: ("this" | "last", "month" | "quarter" | "year").
    period: tuple[str, str] | None = None


@dataclass(frozen=True)
class ShowSegments:
    pass


@dataclass(frozen=True)
class ShowPareto:
    pass


@dataclass(frozen=True)
class ShowCac:
    pass


@dataclass(frozen=True)
class SubscribeAlerts:
    """alerts subscribe [#channel] [daily|weekdays|weekly mon] [at 9:00] [min value 500]
    [owner @u|segment x] [quiet]"""

    channel: str | None = None  # as typed (#sales, a Slack link); None: where it was typed
    cadence: str = "daily"
    weekday: int | None = None
    time: str | None = None  # "HH:MM"; None: the default from app.yaml
    min_value: float | None = None
    owner: str | None = None
    segment: str | None = None
    quiet: bool = False


@dataclass(frozen=True)
class ListAlerts:
    pass


@dataclass(frozen=True)
class UnsubscribeAlerts:
    subscription_id: int


@dataclass(frozen=True)
class PreviewAlerts:
    subscription_id: int | None = None


@dataclass(frozen=True)
class PostAlertNow:
    subscription_id: int | None = None


@dataclass(frozen=True)
class ExportCustomer:
    customer: str


@dataclass(frozen=True)
class ForgetCustomer:
    customer: str
    confirmed: bool = False


@dataclass(frozen=True)
class Undo:
    """undo [<n>]: take back your latest write (or the one an Undo button names)."""

    write_id: int | None = None


@dataclass(frozen=True)
class EditInteraction:
    """edit #12 <new summary>."""

    interaction_id: int
    summary: str


@dataclass(frozen=True)
class DeleteInteraction:
    """delete #12."""

    interaction_id: int


@dataclass(frozen=True)
class People:
    """people [add @jane U024BE7LH [Jane Roe] | remove @jane]: names the console knows."""

    action: Literal["list", "add", "remove"] = "list"
    handle: str | None = None  # add: the name to type; remove: @jane or the Slack id
    slack_id: str | None = None
    name: str | None = None
    kind = "user"


@dataclass(frozen=True)
class Channels(People):
    """channels [add #sales C0123ABCD | remove #sales]."""

    kind = "channel"


@dataclass(frozen=True)
class ShareChannel:
    """channels share #partners | channels unshare #partners: an admin's allowance for
    customer data in a channel shared with another organisation."""

    channel: str
    allowed: bool = True


@dataclass(frozen=True)
class ShowAudit:
    days: int = 7


Command = (
    LogInteraction
    | Remind
    | ShowCustomer
    | FindCustomers
    | AddCustomer
    | AddContact
    | RecordPurchase
    | RecordNps
    | ListFollowUps
    | CompleteFollowUp
    | Help
    | ShowClv
    | CheckClvModels
    | ShowChurnRisk
    | ShowChurnRate
    | ShowRetention
    | ShowNps
    | ShowSegments
    | ShowPareto
    | ShowCac
    | SubscribeAlerts
    | ListAlerts
    | UnsubscribeAlerts
    | PreviewAlerts
    | PostAlertNow
    | ExportCustomer
    | ForgetCustomer
    | ShowAudit
    | People
    | Channels
    | ShareChannel
    | Undo
    | EditInteraction
    | DeleteInteraction
)
