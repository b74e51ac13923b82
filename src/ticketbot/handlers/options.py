"""Options for external selects: "Related to" and the ticket picker."""

from __future__ import annotations

from slack_bolt import Ack, App

from ticketbot.ids import InputId
from ticketbot.runtime import Runtime
from ticketbot.slack.request import workspace_of
from ticketbot.slack.screens import party_choices, ticket_choices


def register(app: App) -> None:
    @app.options(InputId.PARTY)
    def on_party_options(ack: Ack, body: dict, runtime: Runtime):
        query = (body.get("value") or "")[:100]
        ack(**party_choices(runtime, workspace_id=workspace_of(body), query=query))

    @app.options(InputId.TICKET_PICKER)
    def on_ticket_options(ack: Ack, body: dict, runtime: Runtime, viewer):
        query = (body.get("value") or "").strip()[:100]
        ack(**ticket_choices(runtime, workspace_id=workspace_of(body), viewer=viewer, query=query))
