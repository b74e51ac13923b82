"""App Home: a personal dashboard, published whenever someone opens it; an agent's Away
switch."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime
from ticketbot.slack.conversation import choose_away
from ticketbot.slack.request import workspace_of
from ticketbot.slack.screens import home_screen


def register(app: App) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict, client: WebClient, runtime: Runtime, viewer, later):
        if event.get("tab", "home") != "home":
            return
        workspace = workspace_of(body)
        key = ("home", workspace, viewer.user_id)
        later.once(key, _publish, runtime, client, workspace, viewer)

    @app.action(ActionId.AWAY)
    def on_away(ack: Ack, body: dict, action: dict, client, runtime: Runtime, viewer, later):
        workspace = workspace_of(body)
        choose_away(runtime, workspace_id=workspace, viewer=viewer, away=action.get("value"))
        ack()
        later(_publish, runtime, client, workspace, viewer)


def _publish(runtime: Runtime, client: WebClient, workspace_id: str, viewer) -> None:
    view = home_screen(runtime, workspace_id=workspace_id, viewer=viewer)
    client.views_publish(user_id=viewer.user_id, view=view)
