"""The tables, by what they hold: tickets.py, items.py, outboxes.py, settings.py, installs.py
(base.py: what they share)."""

from ticketbot.store.models.base import NAMING_CONVENTION, Base
from ticketbot.store.models.installs import BOTS, INSTALLATIONS, OAUTH_STATES
from ticketbot.store.models.items import (
    FaqEntry,
    FaqTerm,
    Rating,
    RelatedItem,
)
from ticketbot.store.models.outboxes import (
    CardRefresh,
    OutgoingMessage,
    ProcessedEvent,
    ScheduledRun,
    SlaAlert,
    StatusRefresh,
    WebhookDelivery,
)
from ticketbot.store.models.settings import SettingsVersion
from ticketbot.store.models.tickets import (
    Comment,
    ConversationLink,
    Follower,
    Party,
    Person,
    QueueTurn,
    SearchTerm,
    Ticket,
    TicketChange,
    TicketCounter,
)

__all__ = [
    "BOTS",
    "INSTALLATIONS",
    "NAMING_CONVENTION",
    "OAUTH_STATES",
    "Base",
    "CardRefresh",
    "Comment",
    "ConversationLink",
    "FaqEntry",
    "FaqTerm",
    "Follower",
    "OutgoingMessage",
    "Party",
    "Person",
    "ProcessedEvent",
    "QueueTurn",
    "Rating",
    "RelatedItem",
    "ScheduledRun",
    "SearchTerm",
    "SettingsVersion",
    "SlaAlert",
    "StatusRefresh",
    "Ticket",
    "TicketChange",
    "TicketCounter",
    "WebhookDelivery",
]
