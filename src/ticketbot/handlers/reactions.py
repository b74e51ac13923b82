"""Reactions: the ticket emoji on a message raises a ticket from it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from ticketbot.runtime import Runtime
from ticketbot.slack.intake import raise_from_reaction


def register(app: App) -> None:
    @app.event("reaction_added")
    def on_reaction(event: dict, body: dict, client: WebClient, runtime: Runtime, viewer):
        item = event.get("item") or {}
        if event.get("reaction") != runtime.config.reaction_emoji or item.get("type") != "message":
            return
        raise_from_reaction(
            runtime,
            client,
            workspace_id=body.get("team_id", ""),
            event_id=body["event_id"],
            reactor=viewer,
            channel_id=item["channel"],
            ts=item["ts"],
        )
