"""Bolt listeners, one module per Slack surface."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.handlers import (
    card_actions,
    commands,
    email,
    errors,
    events,
    home,
    modals,
    options,
    ratings,
    shortcuts,
)


def register_all(app: App) -> None:
    for module in (errors, commands, modals, card_actions, options, shortcuts, events, home, email):
        module.register(app)
    ratings.register(app)
