"""App Home: a personal dashboard, published whenever someone opens it."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from ticketbot.runtime import Runtime
from ticketbot.slack.screens import home_screen


def register(app: App) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict, client: WebClient, runtime: Runtime, viewer, later):
        if event.get("tab", "home") != "home":
            return
        later(_publish, runtime, client, body.get("team_id", ""), viewer)


def _publish(runtime: Runtime, client: WebClient, workspace_id: str, viewer) -> None:
    view = home_screen(runtime, workspace_id=workspace_id, viewer=viewer)
    client.views_publish(user_id=viewer.user_id, view=view)
