"""Which messages posted in a request channel become tickets.

Not every message is a request: the bot's and other bots' posts, joins and other system
messages, edits, announcements (the queue's skip emoji first), a lone "thanks!" or "+1", and,
unless the queue says otherwise, its own agents' messages raise nothing. A second message by
the same person soon after their last one, while that ticket is open, joins it as a comment.
Pure rules and queries: the Slack side is slack/intake.py."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketbot.config.queues import Queue
from ticketbot.services import history
from ticketbot.services.access import Viewer
from ticketbot.store.models import Comment, Ticket
from ticketbot.vocabulary import ORIGIN_DELETED, Field, Source, Status

# A person's new message, with or without files. Every other subtype (joins, topics, bot
# messages, edits, deletions, thread broadcasts...) is housekeeping or a reply.
NEW_MESSAGE_SUBTYPES = (None, "file_share")

# Words that only thank or acknowledge, in the languages the bot speaks.
_THANKS = {
    "thanks", "thank you", "thank you so much", "thanks a lot", "many thanks", "thx", "ty",
    "tyvm", "cheers", "ok", "okay", "k", "kk", "ok thanks", "ok thank you", "got it",
    "noted", "great", "cool", "perfect", "awesome", "nice", "sure", "yes", "no", "done",
    "+1", "++", "lgtm", "merci", "merci beaucoup", "merci bien", "mille mercis", "parfait",
    "super", "top", "génial", "genial", "d'accord", "dac", "ok merci", "c'est noté", "noté",
    "bien reçu", "oui", "non",
}  # fmt: skip
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']+:(:skin-tone-\d:)?")
_MENTION = re.compile(r"<[@#!][^>]*>")
_PUNCTUATION = re.compile(r"[\s!.,;?…\-–—~*_]+")


class Verdict(StrEnum):
    TICKET = "ticket"  # raise a ticket (or join the last one: see grouping_target)
    ASK = "ask"  # ask the author whether it is a request
    NONE = "none"  # not a request


def only_thanks(text: str) -> bool:
    """A message that only thanks, acknowledges or reacts: "thanks!", "ok", "+1", ":pray:"."""
    plain = _MENTION.sub(" ", _EMOJI_CODE.sub(" ", (text or "").lower()))
    plain = "".join(ch for ch in plain if unicodedata.category(ch) not in ("So", "Sk", "Mn"))
    plain = plain.replace("\u200d", "").replace("\ufe0f", "")
    words = _PUNCTUATION.sub(" ", plain).strip()
    return not words or words in _THANKS


def starts_with_emoji(text: str, emoji: str) -> bool:
    return (text or "").lstrip().startswith(f":{emoji}:")


def verdict(queue: Queue, *, subtype: object, bot: bool, text: str, author: Viewer) -> Verdict:
    """What a new top-level message in one of the queue's request channels calls for."""
    if queue.capture == "emoji" or bot or subtype not in NEW_MESSAGE_SUBTYPES:
        return Verdict.NONE
    if author.works(queue.key) and not queue.capture_agents:
        return Verdict.NONE
    if starts_with_emoji(text, queue.skip_emoji) or only_thanks(text):
        return Verdict.NONE
    return Verdict.ASK if queue.capture == "ask" else Verdict.TICKET


def _seconds(ts: str | None) -> float:
    try:
        return float(ts or 0)
    except ValueError:
        return 0.0


def grouping_target(
    *, session: Session, workspace_id: str, queue: Queue, channel_id: str, author_id: str,
    ts: str,
) -> Ticket | None:  # fmt: skip
    """The author's open ticket from this channel that a message posted at `ts` joins: their
    last message there (the one that raised it, or any they added since) is at most the
    queue's `group_minutes` older. Locked, as the comment will change it."""
    if queue.group_minutes <= 0:
        return None
    ticket = session.scalars(
        select(Ticket)
        .where(
            Ticket.workspace_id == workspace_id,
            Ticket.origin_channel_id == channel_id,
            Ticket.requester_id == author_id,
            Ticket.source == Source.REQUEST_CHANNEL,
            Ticket.status != Status.CLOSED,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
        .with_for_update(of=Ticket)
    ).first()
    if ticket is None:
        return None
    latest_comment = session.scalar(
        select(func.max(Comment.slack_ts)).where(
            Comment.ticket_id == ticket.id,
            Comment.author_id == author_id,
            Comment.slack_channel_id == channel_id,
        )
    )
    last = max(_seconds(ticket.origin_ts), _seconds(latest_comment))
    gap = _seconds(ts) - last
    return ticket if 0 <= gap <= queue.group_minutes * 60 else None


def origin_editable(ticket: Ticket) -> bool:
    """An edit of the message a ticket came from still rewrites its description: nobody has
    worked the ticket yet (still open, unassigned, no answer from an agent)."""
    return (
        ticket.status is Status.OPEN
        and ticket.assignee_id is None
        and ticket.first_response_at is None
    )


def note_origin_deleted(*, session: Session, ticket: Ticket, now: datetime) -> None:
    """The message the ticket came from was deleted in Slack: the ticket stays, its history
    says so (by its requester, the only one who can delete it besides admins)."""
    ticket.version += 1
    ticket.updated_at = now
    history.record_change(
        session=session, ticket=ticket, field=Field.ORIGIN, old=None, new=ORIGIN_DELETED,
        actor=ticket.requester_id, now=now,
    )  # fmt: skip
