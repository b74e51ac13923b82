"""What the author of a message in a request channel is asked, and told."""

from __future__ import annotations

from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.views.blocks import actions, button, section
from ticketbot.views.text import safe


def capture_question(queue_name: str, ts: str) -> dict:
    """`capture: ask`: an ephemeral question under the author's message; the buttons carry
    the message's ts."""
    question = _("Is this a request for {queue}? I can raise a ticket from your message.").format(
        queue=safe(queue_name, 40)
    )
    return {
        "text": question,
        "blocks": [
            section(question),
            actions(
                [
                    button(_("Raise a ticket"), ActionId.CAPTURE_RAISE, value=ts, style="primary"),
                    button(_("Not a request"), ActionId.CAPTURE_DISMISS, value=ts),
                ],
                block_id="capture",
            ),
        ],
    }


def capture_done(number: int) -> dict:
    said = _("Ticket #{number} raised: follow it in your message's thread.").format(number=number)
    return {"text": said, "replace_original": True}
