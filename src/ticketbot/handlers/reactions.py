"""Reactions: the ticket emoji on a message raises a ticket from it."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.runtime import Runtime
from ticketbot.slack.intake import Unreadable, cannot_read, raise_from_message
from ticketbot.slack.publish import publish_new_ticket
from ticketbot.slack.request import workspace_of
from ticketbot.slack.setup import needs_setup, tell_not_set_up


def register(app: App) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client, quick, runtime: Runtime, viewer, later):
        item = event.get("item") or {}
        if event.get("reaction") != runtime.config.reaction_emoji or item.get("type") != "message":
            return
        if needs_setup(runtime):  # as /ticket new: nothing raised until an admin sets it up
            later.soon(tell_not_set_up, runtime, client, item["channel"], viewer.user_id)
            return
        try:
            new = raise_from_message(
                runtime,
                quick,
                workspace_id=workspace_of(body),
                event_id=body["event_id"],
                requester=viewer,
                channel_id=item["channel"],
                ts=item["ts"],
            )
        except Unreadable:
            later.soon(cannot_read, client, item["channel"], viewer.user_id)
            return
        if new is not None:
            later.soon(publish_new_ticket, runtime, client, new)
