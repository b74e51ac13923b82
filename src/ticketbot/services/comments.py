"""Comments on a ticket, from the card or from replies in the card's thread."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.services import history, webhooks
from ticketbot.services.access import Viewer, can_see
from ticketbot.services.conversation import note_response
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX, clean_line, clean_text
from ticketbot.services.webhooks import Outbound
from ticketbot.store.models import Comment, Ticket
from ticketbot.vocabulary import COMMENT_DELETED, Field, WebhookEvent

FILES_MAX = 20  # Slack shares at most 10 files with one message
_LINK = re.compile(r"https://[^\s<>|]{1,2000}")


@dataclass(frozen=True)
class SharedFile:
    """A file shared with a reply in the card's thread: its title (or name), and the link to
    it in Slack, when Slack gave one that can be linked safely."""

    name: str
    permalink: str | None = None


def stored_files(files: Sequence[SharedFile]) -> list[dict] | None:
    """Files as the comment keeps them: cleaned names, links only where they are plain https."""
    kept = []
    for shared in files[:FILES_MAX]:
        name = clean_line(shared.name)[:TITLE_MAX]
        if not name:
            continue
        link = shared.permalink if shared.permalink and _LINK.fullmatch(shared.permalink) else None
        kept.append({"name": name, "permalink": link})
    return kept or None


def add_comment(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    text: str,
    now: datetime,
    slack_channel_id: str | None = None,
    slack_ts: str | None = None,
    outbound: Outbound | None = None,
    files: Sequence[SharedFile] = (),
    internal: bool = False,
) -> Comment | None:
    """Returns None when that Slack message is already a comment (a retried event).

    A comment is its text, plus the files shared with it: a file alone is a comment too.
    `internal`: a note agents keep among themselves, never shown to the requester."""
    if not can_see(viewer, ticket):
        raise Forbidden(_("You cannot comment on this ticket."))
    body, kept = clean_text(text), stored_files(files)
    if not body and not kept:
        raise InvalidInput(_("A comment cannot be empty."), field="comment")
    if len(body) > TEXT_MAX:
        raise InvalidInput(
            _("A comment must be at most {limit} characters.").format(limit=TEXT_MAX),
            field="comment",
        )
    if slack_ts is not None:
        existing = session.scalar(
            select(Comment.id).where(
                Comment.ticket_id == ticket.id,
                Comment.slack_channel_id == slack_channel_id,
                Comment.slack_ts == slack_ts,
            )
        )
        if existing is not None:
            return None
    comment = Comment(
        ticket_id=ticket.id,
        author_id=viewer.user_id,
        text=body,
        files=kept,
        internal=internal,
        created_at=now,
        slack_channel_id=slack_channel_id,
        slack_ts=slack_ts,
    )
    session.add(comment)
    ticket.updated_at = now
    note_response(ticket, viewer, now)
    session.flush()
    webhooks.emit(
        session=session,
        ticket=ticket,
        kind=WebhookEvent.COMMENTED,
        now=now,
        actor_id=viewer.user_id,
        details=webhooks.comment_details(comment),
        outbound=outbound,
    )
    return comment


def _by_slack_message(session: Session, channel_id: str, ts: str) -> Comment | None:
    return session.scalar(
        select(Comment).where(Comment.slack_channel_id == channel_id, Comment.slack_ts == ts)
    )


def edit_comment_from_slack(
    *,
    session: Session,
    channel_id: str,
    ts: str,
    text: str,
    now: datetime,
    files: Sequence[SharedFile] | None = None,
) -> Comment | None:
    """The message as edited in Slack; `files` None: the edit did not say, they stay.

    Slack also sends a `message_changed` when only what it adds changes (a link's preview, a
    file's thumbnail): with the same words and files, the comment is not edited."""
    comment = _by_slack_message(session, channel_id, ts)
    if comment is None or comment.deleted_at is not None:
        return None
    body = clean_text(text)[:TEXT_MAX]
    kept = comment.files if files is None else stored_files(files)
    if (not body and not kept) or (body, kept) == (comment.text, comment.files):
        return None
    comment.text, comment.files = body, kept
    comment.edited_at = now
    return comment


def delete_comment_from_slack(
    *, session: Session, channel_id: str, ts: str, now: datetime
) -> Comment | None:
    """A message deleted in Slack is gone from the ticket too: its text and files are erased,
    and the history keeps only that its author's comment was deleted, and when."""
    comment = _by_slack_message(session, channel_id, ts)
    if comment is None or comment.deleted_at is not None:
        return None
    comment.text, comment.files, comment.deleted_at = "", None, now
    webhooks.forget_comment(session=session, comment=comment)
    ticket = session.get(Ticket, comment.ticket_id)
    assert ticket is not None  # the comment's foreign key
    history.record_change(
        session=session,
        ticket=ticket,
        field=Field.COMMENT,
        old=None,
        new=COMMENT_DELETED,
        actor=comment.author_id,
        now=now,
    )
    return comment


def latest_comments(
    *, session: Session, ticket: Ticket, limit: int = 3, notes: bool = False
) -> list[Comment]:
    """The latest comments; internal notes only with `notes` (for agents)."""
    query = select(Comment).where(Comment.ticket_id == ticket.id, Comment.deleted_at.is_(None))
    if not notes:
        query = query.where(Comment.internal.is_(False))
    rows = session.scalars(query.order_by(Comment.id.desc()).limit(limit)).all()
    return list(reversed(rows))


def latest_public_reply(*, session: Session, ticket: Ticket) -> Comment | None:
    """The latest comment the requester may read (not an internal note, not deleted)."""
    return session.scalars(
        select(Comment)
        .where(
            Comment.ticket_id == ticket.id,
            Comment.deleted_at.is_(None),
            Comment.internal.is_(False),
        )
        .order_by(Comment.id.desc())
        .limit(1)
    ).first()


def comment_of_message(*, session: Session, channel_id: str, ts: str) -> Comment | None:
    """The comment a Slack message became, if it did."""
    return _by_slack_message(session, channel_id, ts)


def comments_page(
    *, session: Session, ticket: Ticket, offset: int = 0, limit: int = 50
) -> tuple[list[Comment], int]:
    alive = (Comment.ticket_id == ticket.id, Comment.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Comment).where(*alive))
    rows = session.scalars(
        select(Comment).where(*alive).order_by(Comment.id).offset(offset).limit(limit)
    ).all()
    return list(rows), int(total or 0)
