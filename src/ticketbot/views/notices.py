"""Short messages to one user: confirmations, refusals, errors."""

from __future__ import annotations

from ticketbot.views.limits import SECTION_TEXT
from ticketbot.views.text import mrkdwn, truncate


def notice(text: str) -> dict:
    """A message whose text we wrote (user input inside it must already be escaped)."""
    return {
        "text": truncate(text, SECTION_TEXT),
        "blocks": [{"type": "section", "text": mrkdwn(text)}],
    }
