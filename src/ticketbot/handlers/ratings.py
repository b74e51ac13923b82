"""Satisfaction: the requester's score, from the buttons of the message that asked."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import RATING_ACTION, ticket_number_from_block
from ticketbot.services.errors import NotFound
from ticketbot.slack.flows import rate
from ticketbot.slack.publish import thank_for_rating
from ticketbot.slack.request import workspace_of


def register(app: App) -> None:
    @app.action(RATING_ACTION)
    def on_rate(ack: Ack, body: dict, action: dict, client: WebClient, runtime, viewer, later):
        number = ticket_number_from_block(action.get("block_id"))
        found = RATING_ACTION.match(action.get("action_id") or "")
        if number is None or found is None:
            raise NotFound(_("That ticket was not found."))
        score = int(found.group(1))
        ticket = rate(
            runtime, workspace_id=workspace_of(body), number=number, viewer=viewer, score=score
        )
        ack()
        container = body.get("container") or {}
        later.soon(
            thank_for_rating,
            client,
            ticket,
            score,
            channel_id=container.get("channel_id") or (body.get("channel") or {}).get("id"),
            ts=container.get("message_ts"),
        )
