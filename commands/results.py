"""What commands answer with: typed data that reports/ turns into Slack blocks or text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: results load without the domain or the model libraries
    from crm_core.alerts.digest import Digest
    from crm_core.analytics.acquisition import ChannelEconomics
    from crm_core.analytics.model_check import ModelCheck
    from crm_core.analytics.nps import NpsMonth, NpsSummary
    from crm_core.analytics.retention import CohortRetention, RetentionPeriod
    from crm_core.analytics.segments import ParetoShare, SegmentSummary
    from crm_core.analytics.values import AtRisk, CustomerValue, ValueTotals
    from crm_core.customer360 import Customer360
    from crm_core.interactions import FollowUp
    from crm_core.models import (
        AlertDelivery,
        AlertFeedback,
        AlertSubscription,
        AnalyticsFit,
        AuditEvent,
        Contact,
        Customer,
        DirectoryEntry,
        Interaction,
        NpsResponse,
        Purchase,
    )
    from crm_core.privacy import Erasure


@dataclass(frozen=True)
class Choice:
    """One way forward the user can click or type: a label and the command it runs.

    The command names what was resolved (`forget #2`), never a word that skips a step such
    as `confirm`: whoever clicks it sees the same preview the typed command would show.
    """

    label: str
    command: str
    # The question of Slack's confirm dialog when the choice leads to something destructive
    # (erase, delete, merge, unsubscribe, undo): the renderer shows it before running the
    # command. None when nothing destructive follows.
    confirm: str | None = None


@dataclass(frozen=True)
class CustomerCard:
    card: Customer360
    # The customer's stored CLV interval (low, high) at the fit's interval_level; None when
    # they are outside the stored top or the fit has no interval.
    interval: tuple[float, float] | None = None
    fit: AnalyticsFit | None = None  # the fit the card's scores come from


@dataclass(frozen=True)
class Logged:
    interaction: Interaction
    customer: Customer
    # False when an earlier delivery of the same request already logged it.
    created: bool = True
    # It happened earlier than it was logged ("yesterday"): the answer says when.
    backdated: bool = False
    # The follow-up's moment had already passed when it was set: it shows as overdue.
    follow_up_passed: bool = False
    # The note `undo <id>` (the Undo button) takes the write back with; None: not undoable.
    undo_id: int | None = None


@dataclass(frozen=True)
class ReminderSet:
    """A follow-up set without a log before it (remind me to call acme friday)."""

    interaction: Interaction
    customer: Customer
    task: str  # "call about the renewal"
    passed: bool = False  # the moment asked for had already passed
    undo_id: int | None = None


@dataclass(frozen=True)
class FoundCustomer:
    customer_id: int
    name: str
    email: str | None
    owner_user_id: str | None
    segment: str | None
    matched_on: str  # "name", "email" or "contact <name>"


@dataclass(frozen=True)
class Found:
    query: str
    matches: list[FoundCustomer]


@dataclass(frozen=True)
class CustomerAdded:
    customer: Customer
    undo_id: int | None = None


@dataclass(frozen=True)
class ContactAdded:
    contact: Contact
    customer: Customer
    undo_id: int | None = None


@dataclass(frozen=True)
class PurchaseRecorded:
    purchase: Purchase
    customer: Customer
    undo_id: int | None = None


@dataclass(frozen=True)
class NpsRecorded:
    response: NpsResponse
    customer: Customer
    undo_id: int | None = None


@dataclass(frozen=True)
class FollowUpList:
    scope: str  # mine, user, today, overdue or all
    user_id: str | None
    items: list[FollowUp]
    more: bool = False  # True when only the soonest were listed


@dataclass(frozen=True)
class FollowUpDone:
    interaction: Interaction
    customer_name: str
    undo_id: int | None = None


@dataclass(frozen=True)
class VerbHelp:
    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class HelpText:
    verbs: list[VerbHelp]
    # Set when help was asked for one verb.
    topic: str | None = None


@dataclass(frozen=True)
class DidYouMean:
    """Several customers fit; nothing was done. Each choice re-runs the command for one."""

    query: str
    choices: list[Choice]


@dataclass(frozen=True)
class NotFound:
    """No customer fits; nothing was done."""

    query: str
    suggestions: list[Choice]
    add_command: str


@dataclass(frozen=True)
class Problem:
    """The command could not run as typed; nothing was written."""

    message: str
    usage: str | None = None
    examples: tuple[str, ...] = ()
    choices: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class AnalyticsStatus:
    """Which fit answers come from, and whether purchases arrived since."""

    fit: AnalyticsFit
    stale: bool


@dataclass(frozen=True)
class ClvTop:
    values: list[CustomerValue]
    totals: ValueTotals
    status: AnalyticsStatus
    segment: str | None = None
    owner_user_id: str | None = None
    distribution: list[float] | None = None  # every scored CLV, when a chart was asked for
    # Each listed customer's stored CLV interval (low, high) by id, where one was computed.
    intervals: dict[int, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ClvOne:
    card: Customer360
    value: CustomerValue | None  # None: the last refresh did not score this customer
    status: AnalyticsStatus
    interval: tuple[float, float] | None = None  # as CustomerCard.interval


@dataclass(frozen=True, eq=False)
class ModelCheckReport:
    """A calibration/holdout check of the purchase models (analytics.model_check)."""

    check: ModelCheck


@dataclass(frozen=True)
class ChurnList:
    items: list[AtRisk]
    totals: ValueTotals
    status: AnalyticsStatus
    threshold: float
    owner_user_id: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class CacTable:
    rows: list[ChannelEconomics]
    status: AnalyticsStatus | None


@dataclass(frozen=True)
class NpsReport:
    summary: NpsSummary
    trend: list[NpsMonth]
    days: int
    # Set for a calendar period ("this quarter"): its name and first day.
    period: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class ChurnRates:
    rows: list[RetentionPeriod]
    period: str
    active_window_days: int
    active_means: str = "purchases"  # or "purchases+inbound" (analytics.active_means)


@dataclass(frozen=True, eq=False)
class CohortReport:
    table: CohortRetention


@dataclass(frozen=True)
class SegmentsReport:
    summary: SegmentSummary


@dataclass(frozen=True)
class ParetoReport:
    share: ParetoShare


@dataclass(frozen=True)
class AlertSubscribed:
    subscription: AlertSubscription
    schedule: str  # "every day at 09:00 (Europe/Paris)"
    next_post: datetime
    undo_id: int | None = None


@dataclass(frozen=True)
class AlertSubscriptionLine:
    subscription: AlertSubscription
    schedule: str
    next_post: datetime
    last: AlertDelivery | None  # the latest delivery, whatever its outcome


@dataclass(frozen=True)
class AlertList:
    items: list[AlertSubscriptionLine]


@dataclass(frozen=True)
class AlertUnsubscribed:
    subscription: AlertSubscription
    undo_id: int | None = None


@dataclass(frozen=True)
class AlertDigest:
    """What a subscription (or the workspace, with none) would be sent now."""

    digest: Digest
    subscription: AlertSubscription | None
    threshold: float
    stale: bool = False  # purchases arrived after the fit the scores come from


@dataclass(frozen=True)
class AlertPosted:
    subscription: AlertSubscription
    message_ts: str


@dataclass(frozen=True)
class ExportReady:
    """A customer's data, for the admin who asked only: the front end delivers the files."""

    customer_id: int
    files: dict[str, bytes]
    counts: dict[str, int]


@dataclass(frozen=True)
class ForgetConfirm:
    """What `forget` would erase; nothing is erased until the confirming command runs."""

    card: Customer360
    confirm_command: str


@dataclass(frozen=True)
class Forgotten:
    erasure: Erasure


@dataclass(frozen=True)
class AuditLog:
    events: list[AuditEvent]
    days: int


@dataclass(frozen=True)
class FeedbackGiven:
    """A rep's "Snooze 30 days" or "Not at risk" on a digest's customer, stored."""

    feedback: AlertFeedback
    customer_name: str
    undo_id: int | None = None


@dataclass(frozen=True)
class WriteUndone:
    """A write taken back: what it was (action, kind of row) and the row, as it was or is."""

    action: str
    row: object
    customer: Customer | None


@dataclass(frozen=True)
class InteractionEdited:
    interaction: Interaction
    customer: Customer
    before: str  # the summary it had
    undo_id: int | None = None


@dataclass(frozen=True)
class InteractionDeleted:
    interaction: Interaction  # as it was
    customer: Customer
    undo_id: int | None = None


@dataclass(frozen=True)
class DirectoryListing:
    kind: str  # "user" or "channel"
    entries: list[DirectoryEntry]
    more: bool = False


@dataclass(frozen=True)
class DirectoryUpdated:
    kind: str
    entry: DirectoryEntry
    removed: bool


@dataclass(frozen=True)
class ChannelSharing:
    """An admin's allowance for a channel shared with another organisation, set or taken back."""

    channel_id: str
    allowed: bool
    changed: bool  # False: it already was so
    # What Slack says of the channel now (None: the console cannot ask).
    is_ext_shared: bool | None = None


Result = (
    CustomerCard
    | Logged
    | ReminderSet
    | Found
    | CustomerAdded
    | ContactAdded
    | PurchaseRecorded
    | NpsRecorded
    | FollowUpList
    | FollowUpDone
    | HelpText
    | DidYouMean
    | NotFound
    | Problem
    | ClvTop
    | ClvOne
    | ModelCheckReport
    | ChurnList
    | CacTable
    | NpsReport
    | ChurnRates
    | CohortReport
    | SegmentsReport
    | ParetoReport
    | AlertSubscribed
    | AlertList
    | AlertUnsubscribed
    | AlertDigest
    | AlertPosted
    | ExportReady
    | ForgetConfirm
    | Forgotten
    | AuditLog
    | DirectoryListing
    | DirectoryUpdated
    | ChannelSharing
    | FeedbackGiven
    | WriteUndone
    | InteractionEdited
    | InteractionDeleted
)


@dataclass(frozen=True)
class Answer:
    """A result with the moment and zone it should be shown in."""

    result: Result
    shown_at: datetime
    # Whether the text asked to share the answer with the channel (Slack only).
    share: bool = False
    # Set when sharing was asked but the answer goes to the asker only: why (the channel is
    # shared with another organisation and no admin allowed customer data there). The front
    # end shows it with the answer.
    not_shared: str | None = None
