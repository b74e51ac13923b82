"""The satisfaction question sent to the requester when their ticket closes, and its thanks."""

from __future__ import annotations

from ticketbot.i18n import _, ngettext
from ticketbot.ids import rating_action_id, ticket_block_id
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import actions, button, context, message, section
from ticketbot.views.text import safe

SOLUTION_EXCERPT = 600


def _scale() -> dict[int, str]:
    return {
        1: _("very unhappy"),
        2: _("unhappy"),
        3: _("neutral"),
        4: _("happy"),
        5: _("very happy"),
    }


def _buttons(ticket: Ticket, chosen: int | None) -> dict:
    scale = _scale()
    elements = []
    for score in range(1, 6):
        element = button(
            f"{score} ★",
            rating_action_id(score),
            value=str(score),
            style="primary" if score == chosen else None,
        )
        # Read aloud instead of "1 black star".
        element["accessibility_label"] = _("{score} out of 5, {meaning}").format(
            score=score, meaning=scale[score]
        )
        elements.append(element)
    return actions(elements, block_id=ticket_block_id(ticket.number, "rating"))


def _about(ticket: Ticket) -> dict:
    text = _("Your ticket *#{number}* {title} is closed.").format(
        number=ticket.number, title=safe(ticket.title, 200)
    )
    if ticket.solution:
        text += "\n>" + safe(ticket.solution, SOLUTION_EXCERPT).replace("\n", "\n>")
    return section(f":white_check_mark: {text}")


def rating_request(ticket: Ticket) -> dict:
    question = _("How happy are you with how it was handled? 1 is very unhappy, 5 very happy.")
    return message(
        _("Ticket #{number} is closed: how did we do?").format(number=ticket.number),
        [_about(ticket), section(question), _buttons(ticket, None)],
    )


def rating_thanks(ticket: Ticket, score: int) -> dict:
    thanks = ngettext(
        "Thank you! You rated this ticket {score} star out of 5.",
        "Thank you! You rated this ticket {score} stars out of 5.",
        score,
    ).format(score=score)
    return message(
        thanks,
        [
            _about(ticket),
            section(f":star: *{thanks}*"),
            _buttons(ticket, score),
            context(_("Changed your mind? Choose another score: the latest one counts.")),
        ],
    )
