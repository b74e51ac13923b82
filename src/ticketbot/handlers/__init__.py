"""Bolt listeners, one module per Slack surface; each is a leaf: it parses the payload, acks,
and calls one flow or screen."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.handlers import (
    card_actions,
    channels,
    commands,
    conversation,
    email,
    faq,
    home,
    installs,
    messages,
    modals,
    options,
    ratings,
    reactions,
    related,
    settings,
    shortcuts,
    workflows,
)

# Bolt tries listeners in this order and builds the arguments of every matcher it tries: the
# card's buttons, clicked most, come first (a status click tried 8 matchers, now 1).
MODULES = (
    card_actions,
    commands,
    modals,
    options,
    shortcuts,
    reactions,
    messages,
    home,
    email,
    ratings,
    related,
    faq,
    conversation,
    settings,
    workflows,
    installs,
    channels,
)


def register_all(app: App) -> None:
    for module in MODULES:
        module.register(app)
