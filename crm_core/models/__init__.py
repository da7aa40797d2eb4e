"""The CRM's tables. Importing this package registers all of them on SQLModel.metadata."""

from crm_core.models.alerts import (
    AlertChannelPace,
    AlertDelivery,
    AlertFeedback,
    AlertSubscription,
)
from crm_core.models.analytics import AnalyticsFit, ChannelValue, PatternScore, ScoreRank
from crm_core.models.audit import AuditEvent
from crm_core.models.customer import Contact, ContactBase, Customer, CustomerBase, CustomerMerge
from crm_core.models.delivery import Delivery
from crm_core.models.directory import DirectoryEntry
from crm_core.models.exchange_rate import ExchangeRate
from crm_core.models.interaction import Interaction, InteractionKind, InteractionSource
from crm_core.models.nps import NpsResponse
from crm_core.models.purchase import Purchase
from crm_core.models.purchase_summary import PurchaseSummary, PurchaseSummaryState
from crm_core.models.shared_channel import SharedChannelAllowance
from crm_core.models.types import UTCDateTime, utcnow
from crm_core.models.undoable_write import UndoableWrite

__all__ = [
    "AlertChannelPace",
    "AlertDelivery",
    "AlertFeedback",
    "AlertSubscription",
    "AnalyticsFit",
    "AuditEvent",
    "ChannelValue",
    "Contact",
    "ContactBase",
    "Customer",
    "CustomerBase",
    "CustomerMerge",
    "Delivery",
    "DirectoryEntry",
    "ExchangeRate",
    "Interaction",
    "InteractionKind",
    "InteractionSource",
    "NpsResponse",
    "PatternScore",
    "Purchase",
    "PurchaseSummary",
    "PurchaseSummaryState",
    "ScoreRank",
    "SharedChannelAllowance",
    "UTCDateTime",
    "UndoableWrite",
    "utcnow",
]
