"""Bolt listeners, one module per Slack surface."""

from __future__ import annotations

from slack_bolt import App


def register_all(app: App) -> None:
    from ticketbot.handlers import errors

    errors.register(app)
