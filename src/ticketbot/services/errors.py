"""Typed domain errors: the one error handler turns each into a polite message for the user."""

from __future__ import annotations


class TicketbotError(Exception):
    """Base of the errors a user can be told about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(TicketbotError):
    pass


class Forbidden(TicketbotError):
    pass


class InvalidInput(TicketbotError):
    pass


class StaleTicket(TicketbotError):
    """The ticket changed since the user loaded it; `changes` holds the history lines since."""

    def __init__(self, message: str, *, changes: list | None = None) -> None:
        super().__init__(message)
        self.changes = changes or []
