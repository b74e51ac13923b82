"""Bolt listeners, one module per Slack surface."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.handlers import (
    card_actions,
    commands,
    email,
    errors,
    events,
    faq,
    home,
    modals,
    options,
    ratings,
    related,
    shortcuts,
)

MODULES = (
    errors,
    commands,
    modals,
    card_actions,
    options,
    shortcuts,
    events,
    home,
    email,
    ratings,
    related,
    faq,
)


def register_all(app: App) -> None:
    for module in MODULES:
        module.register(app)
