"""The agents' side of the conversation: a requester's reply relayed into the card's thread,
the direct messages that tell an assignee or a follower what happened, and the forms."""

from __future__ import annotations

from collections.abc import Sequence

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, CallbackId, InputId, ticket_block_id
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import (
    actions,
    button,
    context,
    input_block,
    message,
    modal,
    section,
    text_input,
)
from ticketbot.views.text import safe, with_files
from ticketbot.vocabulary import Status

RELAYED = 2800


def relayed_reply(
    *, author: str, text: str, files: Sequence[dict] | None, link: str | None
) -> dict:
    """A reply from the requester's side, in the card's thread for the agents."""
    said = with_files(text, files, RELAYED)
    where = f" (<{link}|{_('original')}>)" if link else ""
    return message(
        _("{author} replied").format(author=safe(author, 80)),
        [section(f":speech_balloon: *{safe(author, 80)}*: {said}{where}")],
    )


def _card(link: str | None) -> list[dict]:
    if not link:
        return []
    return [actions([button(_("Open the card"), ActionId.OPEN_LINK, url=link)])]


def assigned_notice(ticket: Ticket, *, by: str, card_link: str | None) -> dict:
    text = _("{by} assigned you *#{number}* {title}.").format(
        by=safe(by, 80), number=ticket.number, title=safe(ticket.title, 200)
    )
    return message(
        _("Ticket #{number} is assigned to you").format(number=ticket.number),
        [section(f":bust_in_silhouette: {text}"), *_card(card_link)],
    )


def requester_replied_notice(
    ticket: Ticket, *, author: str, text: str, card_link: str | None
) -> dict:
    said = _("{author} replied on *#{number}* {title}:").format(
        author=safe(author, 80), number=ticket.number, title=safe(ticket.title, 200)
    )
    return message(
        _("{author} replied on ticket #{number}").format(
            author=safe(author, 80), number=ticket.number
        ),
        [section(f":speech_balloon: {said}\n>{safe(text, 1500)}"), *_card(card_link)],
    )


def follower_notice(ticket: Ticket, *, what: str) -> dict:
    """What a follower hears: `what` is already written for them (escaped)."""
    head = f"*#{ticket.number}* {safe(ticket.title, 200)}"
    return message(
        _("Ticket #{number}: news").format(number=ticket.number),
        [section(f":eyes: {head}\n{what}"), context(_("You follow this ticket."))],
    )


def reply_text(agent: str, text: str) -> str:
    """What a follower reads of an agent's public reply."""
    return _("{agent} replied:").format(agent=safe(agent, 80)) + "\n>" + safe(text, 1500)


def status_change_text(status: Status, by: str) -> str:
    return _("{by} set it to {status}.").format(by=safe(by, 80), status=label(status))


def reply_modal(ticket: Ticket, *, metadata: str) -> dict:
    """An agent's reply to the requester, sent where they talk with us."""
    return modal(
        _("Reply on #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number}* {safe(ticket.title, 200)}"),
            input_block(
                InputId.REPLY_TEXT,
                _("Reply"),
                text_input(InputId.REPLY_TEXT, multiline=True, max_length=2800),
            ),
            input_block(
                InputId.REPLY_WAITING,
                _("Then"),
                {
                    "type": "checkboxes",
                    "action_id": InputId.REPLY_WAITING,
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": _("Waiting on reply")},
                            "value": "waiting",
                            "description": {
                                "type": "plain_text",
                                "text": _("The ticket waits on the requester's answer."),
                            },
                        }
                    ],
                },
                optional=True,
            ),
            context(_("The requester gets it as a message from ticketbot, with your name.")),
        ],
        callback_id=CallbackId.REPLY_MODAL,
        submit=_("Send"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def answer_modal(ticket: Ticket, *, metadata: str) -> dict:
    """The requester's answer, from their status message's Reply button."""
    return modal(
        _("Reply on #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number}* {safe(ticket.title, 200)}"),
            input_block(
                InputId.REPLY_TEXT,
                _("Your reply"),
                text_input(InputId.REPLY_TEXT, multiline=True, max_length=2800),
            ),
        ],
        callback_id=CallbackId.ANSWER_MODAL,
        submit=_("Send"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def resolve_modal(ticket: Ticket, *, metadata: str) -> dict:
    """The requester closes their own ticket, saying what solved it if they like."""
    return modal(
        _("Close #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number}* {safe(ticket.title, 200)}"),
            input_block(
                InputId.SOLUTION,
                _("What solved it?"),
                text_input(InputId.SOLUTION, multiline=True, max_length=2800),
                optional=True,
            ),
        ],
        callback_id=CallbackId.RESOLVE_MODAL,
        submit=_("Close ticket"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def followers_modal(ticket: Ticket, *, followers: list[str], metadata: str) -> dict:
    element: dict = {
        "type": "multi_users_select",
        "action_id": InputId.FOLLOWERS,
        "placeholder": {"type": "plain_text", "text": _("People to keep informed")},
    }
    if followers:
        element["initial_users"] = followers[:100]
    return modal(
        _("Followers of #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number}* {safe(ticket.title, 200)}"),
            input_block(InputId.FOLLOWERS, _("Followers"), element, optional=True),
            context(_("Followers hear what the requester hears, in a direct message.")),
        ],
        callback_id=CallbackId.FOLLOWERS_MODAL,
        submit=_("Save"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def open_tickets_answer(tickets: Sequence[Ticket]) -> dict:
    """A direct message to the bot outside any ticket's thread: their open tickets to reply
    on, and a way to raise a new one."""
    if tickets:
        blocks = [section(_("Your open tickets: reply on one, or raise a new one."))]
        for ticket in tickets[:10]:
            state = label(Status(ticket.status))
            blocks.append(
                section(
                    f"*#{ticket.number}* {safe(ticket.title, 150)} · {state}",
                    block_id=ticket_block_id(ticket.number, "dm"),
                    accessory=button(_("Reply"), ActionId.STATUS_REPLY, value=str(ticket.number)),
                )
            )
    else:
        blocks = [section(_("You have no open tickets. Need help? Raise one."))]
    blocks.append(actions([button(_("New ticket"), ActionId.NEW_TICKET, style="primary")]))
    return message(_("Your open tickets"), blocks)
