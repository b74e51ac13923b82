"""App Home: a personal dashboard, published whenever someone opens it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from ticketbot.handlers.common import runtime_of, sla_of
from ticketbot.services.deadlines import SlaState
from ticketbot.services.finder import Scope, due_soonest, list_tickets
from ticketbot.views.home import SECTION_LIMIT, home_view

AT_RISK = (SlaState.AT_RISK, SlaState.BREACHED)


def publish_home(runtime, client: WebClient, *, workspace_id: str, user_id: str) -> None:
    viewer = runtime.directory.viewer(client, user_id)
    with runtime.database.transaction(read_only=True) as session:
        mine = list_tickets(
            session=session,
            workspace_id=workspace_id,
            viewer=viewer,
            scope=Scope.MINE,
            limit=SECTION_LIMIT + 1,
            open_only=True,
        )
        assigned = at_risk = None
        if viewer.is_agent:
            assigned = list_tickets(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                scope=Scope.ASSIGNED,
                limit=SECTION_LIMIT + 1,
            )
            at_risk = due_soonest(session=session, workspace_id=workspace_id, viewer=viewer)

    def with_sla(tickets):
        return [(t, sla_of(runtime, t)) for t in tickets]

    risky = None
    if at_risk is not None:
        risky = [(t, s) for t, s in with_sla(at_risk) if s.state in AT_RISK]
    client.views_publish(
        user_id=user_id,
        view=home_view(
            mine=with_sla(mine),
            assigned=with_sla(assigned) if assigned is not None else None,
            at_risk=risky,
        ),
    )


def register(app: App) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict, client: WebClient, context):
        if event.get("tab", "home") != "home":
            return
        publish_home(
            runtime_of(context), client, workspace_id=body.get("team_id", ""), user_id=event["user"]
        )
