"""Options for external selects: "Related to" and the ticket picker."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.handlers.common import runtime_of, user_of, viewer_of, workspace_of
from ticketbot.ids import ActionId
from ticketbot.services.finder import Scope, list_tickets, search_tickets
from ticketbot.services.parties import search_parties
from ticketbot.views.options import party_options, ticket_options

LIMIT = 25


def register(app: App) -> None:
    @app.options(ActionId.PARTY)
    def on_party_options(ack: Ack, body: dict, context):
        runtime = runtime_of(context)
        query = (body.get("value") or "")[:100]
        with runtime.database.transaction(read_only=True) as session:
            parties = search_parties(
                session=session, workspace_id=workspace_of(body), query=query, limit=LIMIT
            )
        ack(**party_options(parties, query))

    @app.options(ActionId.TICKET_PICKER)
    def on_ticket_options(ack: Ack, body: dict, client: WebClient, context):
        runtime = runtime_of(context)
        query = (body.get("value") or "").strip()[:100]
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction(read_only=True) as session:
            if query:
                found = search_tickets(
                    session=session,
                    workspace_id=workspace_of(body),
                    viewer=viewer,
                    query=query,
                    limit=LIMIT,
                )
            else:
                found = list_tickets(
                    session=session,
                    workspace_id=workspace_of(body),
                    viewer=viewer,
                    scope=Scope.OPEN,
                    limit=LIMIT,
                )
        ack(**ticket_options(found))
