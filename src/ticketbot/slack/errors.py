"""The one error handler: typed domain errors become polite messages, the rest is logged once."""

from __future__ import annotations

import logging
import uuid

from slack_bolt import Ack, App
from sqlalchemy.exc import DBAPIError, OperationalError

from ticketbot.i18n import _, speaking
from ticketbot.services.errors import StaleTicket, TicketbotError
from ticketbot.views.notices import notice

logger = logging.getLogger("ticketbot.errors")


class KeptAck(Ack):
    """An acknowledgement that stays given once given.

    When a listener raises after ack(), Bolt's thread runner (1.30) hands the error to the
    handler below and then sets `ack.response = None`. If that happens before the request
    thread has looked (it polls every 10 ms), Slack gets no answer, then a 404 three seconds
    later, and shows the user its own error on top of ours (and keeps a submitted modal open).
    """

    def __setattr__(self, name: str, value) -> None:
        if name == "response" and value is None and getattr(self, "response", None) is not None:
            return
        super().__setattr__(name, value)


def tell(body: dict, client, respond, message: dict) -> None:
    """Reach the user privately wherever the request came from."""
    user_id = (body.get("user") or {}).get("id") or body.get("user_id")
    channel_id = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if body.get("response_url") and respond is not None:
        respond(response_type="ephemeral", replace_original=False, **message)
    elif user_id and channel_id:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
    elif user_id:
        client.chat_postMessage(channel=user_id, **message)


def user_message(error: Exception) -> tuple[str, str | None]:
    """What to tell the user, and an error id when the error was unexpected."""
    if isinstance(error, StaleTicket):
        return error.message, None
    if isinstance(error, TicketbotError):
        return error.message, None
    if isinstance(error, OperationalError | DBAPIError):
        return _(
            "ticketbot cannot reach its database right now. Nothing was changed: "
            "please try again in a minute."
        ), None
    error_id = uuid.uuid4().hex[:8]
    return _(
        "Something went wrong on our side (error {error_id}). Nothing was lost: please try again."
    ).format(error_id=error_id), error_id


def register(app: App) -> None:
    @app.middleware
    def _keep_acks(context, next):
        context["ack"] = KeptAck()
        return next()

    @app.error
    def handle_error(error: Exception, body: dict, client, context, respond=None) -> None:
        with speaking(context.get("language") or "en"):
            text, error_id = user_message(error)
            message = notice(text)
        if error_id is not None:
            logger.exception("unexpected error", exc_info=error, extra={"error_id": error_id})
        elif not isinstance(error, TicketbotError):
            logger.warning("database unavailable: %s", error.__class__.__name__)
        try:
            tell(body, client, respond, message)
        except Exception:  # the user cannot be reached; the log above is what remains
            logger.warning("could not tell the user about an error", exc_info=True)
