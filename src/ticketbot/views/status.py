"""The requester's side of a ticket: their status message, kept up to date in place, and the
messages that reach them (an agent's reply, a reminder, the closing with its rating).

Everything here may be read by the requester, and, for a ticket raised from a channel's
message, by everyone in that channel: never an internal note, never the deadline machinery.
People are named, not mentioned, so an update pings nobody."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, ticket_block_id
from ticketbot.store.models import Comment, Ticket
from ticketbot.views.blocks import actions, button, context, fields, message, section
from ticketbot.views.card import STATUS_ICON
from ticketbot.views.rating import rating_request
from ticketbot.views.text import date_token, safe, with_files
from ticketbot.vocabulary import Status

REPLY_EXCERPT = 500
Names = Mapping[str, str]


def name_of(names: Names, user_id: str | None) -> str:
    if not user_id:
        return "—"
    return safe(names.get(user_id) or user_id, 80)


def status_buttons(ticket: Ticket) -> dict:
    """Reply always; Close while open; Reopen once closed."""
    number = str(ticket.number)
    if ticket.status is Status.CLOSED:
        controls = [button(_("Reopen"), ActionId.STATUS_REOPEN, value=number)]
    else:
        controls = [
            button(_("Reply"), ActionId.STATUS_REPLY, value=number, style="primary"),
            button(_("Close"), ActionId.STATUS_CLOSE, value=number),
            button(_("Followers"), ActionId.STATUS_FOLLOWERS, value=number),
        ]
    return actions(controls, block_id=ticket_block_id(ticket.number, "status"))


def status_message(
    ticket: Ticket, *, latest_reply: Comment | None, names: Names, now: datetime
) -> dict:
    """The one message that shows the requester their ticket, updated on every change."""
    status = Status(ticket.status)
    headline = f":ticket: *#{ticket.number}* {safe(ticket.title, 200)}"
    blocks = [
        section(headline),
        fields(
            [
                (_("Status"), f"{STATUS_ICON[status]} {label(status)}"),
                (
                    _("Assignee"),
                    name_of(names, ticket.assignee_id)
                    if ticket.assignee_id
                    else _("Not assigned yet"),
                ),
                (_("Last updated"), date_token(ticket.updated_at)),
            ]
        ),
    ]
    if latest_reply is not None:
        said = with_files(latest_reply.text, latest_reply.files, REPLY_EXCERPT)
        blocks.append(
            context(f":speech_balloon: *{name_of(names, latest_reply.author_id)}*: {said}")
        )
    if status is Status.CLOSED and ticket.solution:
        blocks.append(section("*" + _("Solution") + "*\n" + safe(ticket.solution, 1500)))
    hint = (
        _("Reply in this thread to add to the ticket.")
        if status is not Status.CLOSED
        else _("This ticket is closed. Reopen it if the problem comes back.")
    )
    blocks += [context(hint), status_buttons(ticket)]
    text = _("Ticket #{number} {title}: {status}").format(
        number=ticket.number, title=safe(ticket.title, 150), status=label(status)
    )
    return message(text, blocks)


def withdrawn_status(ticket: Ticket) -> dict:
    """What a channel keeps of a ticket that became internal: its number, nothing else."""
    text = _("Ticket #{number} is now followed privately, in a direct message.").format(
        number=ticket.number
    )
    return message(text, [context(":lock: " + text)])


def agent_reply(ticket: Ticket, *, agent: str, text: str, waiting: bool) -> dict:
    """An agent's public reply, as a new message where the requester talks with us."""
    body = f":speech_balloon: *{safe(agent, 80)}*: {safe(text, 2800)}"
    blocks = [section(body)]
    if waiting:
        blocks.append(
            context(":hourglass_flowing_sand: " + _("Waiting on your reply: answer here."))
        )
    fallback = _("{agent} replied on ticket #{number}").format(
        agent=safe(agent, 80), number=ticket.number
    )
    return message(fallback, blocks)


def waiting_notice(ticket: Ticket, *, agent: str) -> dict:
    text = _("*#{number}* {title} now waits on your reply ({agent} asked).").format(
        number=ticket.number, title=safe(ticket.title, 200), agent=safe(agent, 80)
    )
    return message(
        _("Ticket #{number} waits on your reply").format(number=ticket.number),
        [section(f":hourglass_flowing_sand: {text}"), context(_("Answer in this thread."))],
    )


def closing_notice(ticket: Ticket) -> dict:
    """The closing with its solution; its satisfaction buttons come with it."""
    return rating_request(ticket)


def reopen_offer(ticket: Ticket) -> dict:
    text = _("Ticket *#{number}* is closed, so your reply was kept but nobody was told.").format(
        number=ticket.number
    )
    return message(
        _("Ticket #{number} is closed: reopen it?").format(number=ticket.number),
        [
            section(f":lock: {text}"),
            actions(
                [button(_("Reopen"), ActionId.STATUS_REOPEN, value=str(ticket.number))],
                block_id=ticket_block_id(ticket.number, "reopen"),
            ),
        ],
    )


def reminder(ticket: Ticket, *, closes_at: datetime) -> dict:
    text = _("*#{number}* {title} still waits on your reply. Without one it closes {when}.").format(
        number=ticket.number, title=safe(ticket.title, 200), when=date_token(closes_at)
    )
    return message(
        _("Ticket #{number} waits on your reply").format(number=ticket.number),
        [section(f":alarm_clock: {text}"), context(_("Answer in this thread to keep it open."))],
    )


def auto_closed_text(ticket: Ticket, *, days: int) -> str:
    return _("*#{number}* {title} was closed after {days} days without a reply.").format(
        number=ticket.number, title=safe(ticket.title, 200), days=days
    )


def auto_closed(ticket: Ticket, *, days: int) -> dict:
    text = _("*#{number}* {title} was closed after {days} days without your reply.").format(
        number=ticket.number, title=safe(ticket.title, 200), days=days
    )
    return message(
        _("Ticket #{number} was closed").format(number=ticket.number),
        [
            section(f":white_check_mark: {text}"),
            context(_("Still a problem? Reopen it, and tell us what happens.")),
            actions(
                [button(_("Reopen"), ActionId.STATUS_REOPEN, value=str(ticket.number))],
                block_id=ticket_block_id(ticket.number, "reopen"),
            ),
        ],
    )
