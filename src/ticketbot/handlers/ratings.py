"""Satisfaction: asking the requester when their ticket closes, and taking their score."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ticketbot.handlers.common import runtime_of, user_of, viewer_of, workspace_of
from ticketbot.i18n import _, speaking
from ticketbot.ids import RATING_ACTION, ticket_number_from_block
from ticketbot.runtime import Runtime
from ticketbot.services.errors import NotFound
from ticketbot.services.ratings import rate_ticket
from ticketbot.store.models import Ticket
from ticketbot.views.rating import rating_request, rating_thanks

logger = logging.getLogger("ticketbot.ratings")


def ask_for_rating(runtime: Runtime, client: WebClient, ticket: Ticket) -> None:
    """A direct message to the requester, in their language; the ticket is closed whether it
    arrives or not."""
    with speaking(runtime.directory.language(client, ticket.requester_id)):
        request = rating_request(ticket)
    try:
        client.chat_postMessage(channel=ticket.requester_id, **request)
    except (SlackApiError, SlackClientError, OSError) as error:
        reason = getattr(getattr(error, "response", None), "get", lambda *_: None)("error")
        logger.info("no rating request for #%s: %s", ticket.number, reason or error)


def register(app: App) -> None:
    @app.action(RATING_ACTION)
    def on_rate(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        number = ticket_number_from_block(action.get("block_id"))
        found = RATING_ACTION.match(action.get("action_id") or "")
        if number is None or found is None:
            raise NotFound(_("That ticket was not found."))
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction() as session:
            ticket = rate_ticket(
                session=session,
                workspace_id=workspace_of(body),
                number=number,
                viewer=viewer,
                score=int(found.group(1)),
                now=runtime.clock.now(),
            )
        container = body.get("container") or {}
        client.chat_update(
            channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
            ts=container.get("message_ts"),
            **rating_thanks(ticket, int(found.group(1))),
        )
