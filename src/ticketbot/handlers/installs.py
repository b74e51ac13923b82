"""A workspace leaves: `app_uninstalled` (the app removed) and `tokens_revoked` (the bot's
token revoked) remove its installation, and with it its scheduled passes; its tickets and
settings stay until `ticketbot workspace delete` (README, "Many workspaces")."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.slack.request import workspace_of


def register(app: App) -> None:
    @app.event("app_uninstalled")
    def _uninstalled(ack, body, workspaces):
        workspaces.forget(workspace_of(body))
        ack()

    @app.event("tokens_revoked")
    def _revoked(ack, body, event, workspaces):
        if (event.get("tokens") or {}).get("bot"):  # a user's token alone is not ours
            workspaces.forget(workspace_of(body))
        ack()
