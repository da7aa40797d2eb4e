"""The CRM's tables. Importing this package registers all of them on SQLModel.metadata."""

from crm_core.models.alerts import (
    AlertChannelPace,
    AlertDelivery,
    AlertFeedback,
    AlertSubscription,
)
from crm_core.models.analytics import AnalyticsFit, CustomerScore
from crm_core.models.audit import AuditEvent
from crm_core.models.customer import Contact, ContactBase, Customer, CustomerBase, CustomerMerge
from crm_core.models.delivery import Delivery
from crm_core.models.interaction import Interaction, InteractionKind, InteractionSource
from crm_core.models.nps import NpsResponse
from crm_core.models.purchase import Purchase
from crm_core.models.purchase_summary import PurchaseSummary, PurchaseSummaryState
from crm_core.models.types import UTCDateTime, utcnow

__all__ = [
    "AlertChannelPace",
    "AlertDelivery",
    "AlertFeedback",
    "AlertSubscription",
    "AnalyticsFit",
    "AuditEvent",
    "CustomerScore",
    "Contact",
    "ContactBase",
    "Customer",
    "CustomerBase",
    "CustomerMerge",
    "Delivery",
    "Interaction",
    "InteractionKind",
    "InteractionSource",
    "NpsResponse",
    "Purchase",
    "PurchaseSummary",
    "PurchaseSummaryState",
    "UTCDateTime",
    "utcnow",
]
