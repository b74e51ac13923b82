"""The ticket vocabulary of the seed CRMs, as stored values.

Stored values are stable identifiers; display text comes from `ticketbot.i18n` so that a
change of language never changes data.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Engagement(StrEnum):
    """The time within which a ticket must be closed."""

    STANDARD = "standard"
    H2 = "2h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    H24 = "24h"
    H48 = "48h"
    H72 = "72h"

    @property
    def hours(self) -> int | None:
        """Fixed hours, or None for Standard (which resolves per priority)."""
        return None if self is Engagement.STANDARD else int(self.value.removesuffix("h"))


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Source(StrEnum):
    """Where a ticket was raised, for the origin analytics."""

    SLASH_COMMAND = "slash_command"
    MESSAGE_SHORTCUT = "message_shortcut"
    GLOBAL_SHORTCUT = "global_shortcut"
    REACTION = "reaction"
    APP_HOME = "app_home"
    CLI = "cli"
    REQUEST_CHANNEL = "request_channel"  # a message posted in a queue's request channel
    WORKFLOW = "workflow"  # the "Raise a ticket" step of a Workflow Builder workflow


class PartyKind(StrEnum):
    ACCOUNT = "account"
    CONTACT = "contact"
    SUPPLIER = "supplier"
    ASSET = "asset"


class Field(StrEnum):
    """Ticket fields whose changes are written to the history."""

    TITLE = "title"
    DESCRIPTION = "description"
    SOLUTION = "solution"
    STATUS = "status"
    PRIORITY = "priority"
    ENGAGEMENT = "engagement"
    CATEGORY = "category"
    ASSIGNEE = "assignee"
    PARTY = "party"
    PRODUCT = "product"
    VISIBILITY = "visibility"
    LINK = "link"
    EMAIL = "email"  # an email sent from the ticket: "subject\nrecipients"
    RELATED = "related"  # a related item added, closed or removed
    FAQ = "faq"  # the ticket became a FAQ entry
    COMMENT = "comment"  # a comment deleted in Slack: new value COMMENT_DELETED, no text
    REPLY = "reply"  # an agent's reply to the requester (its first words)
    QUEUE = "queue"  # moved to another team's queue (the queues' keys)
    ORIGIN = "origin"  # the message the ticket came from was deleted in Slack (ORIGIN_DELETED)


COMMENT_DELETED = "deleted"
ORIGIN_DELETED = "deleted"


class WebhookEvent(StrEnum):
    """What an outbound webhook can subscribe to (the `X-Ticketbot-Event` header)."""

    CREATED = "ticket.created"
    UPDATED = "ticket.updated"  # fields, the assignee, statuses other than closing/reopening
    CLOSED = "ticket.closed"
    REOPENED = "ticket.reopened"
    COMMENTED = "ticket.commented"
    EMAILED = "ticket.emailed"


class RelatedKind(StrEnum):
    """What a ticket carries besides its fields, as the seed CRMs list it."""

    ACTIVITY = "activity"  # a task or event with a due date; closed ones are the history
    DOCUMENT = "document"  # a Slack file or a URL
    SERVICE = "service"
    EXPENSE = "expense"
    PURCHASE_ORDER = "purchase_order"
    QUOTE = "quote"
    EMAIL = "email"
    PROJECT = "project"
    TIMESHEET = "timesheet"  # minutes spent, by whom, on which day
    SERVICE_CONTRACT = "service_contract"
