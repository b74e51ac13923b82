"""The conversation with the requester: where it lives, what is public, whose words answer a
ticket, and what a reply does to it.

A ticket raised from a message (a shortcut, a reaction, a request channel) talks with its
requester in that message's thread, so the people of that channel see it progress; one
raised from a form talks in a direct message. An internal ticket always talks in a direct
message: nothing of it may reach a channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import String, and_, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from ticketbot.services.access import Viewer
from ticketbot.store.models import Follower, Person, Ticket
from ticketbot.vocabulary import Status, Visibility


def answers(viewer: Viewer, ticket: Ticket) -> bool:
    """An agent speaking on someone else's ticket answers it; the requester's own words and a
    colleague's "me too" on a public ticket do not."""
    return viewer.works_on(ticket) and viewer.user_id != ticket.requester_id


def note_response(ticket: Ticket, viewer: Viewer, now: datetime) -> None:
    """The first answer starts the ticket's first-response time, the figure reports give."""
    if ticket.first_response_at is None and answers(viewer, ticket):
        ticket.first_response_at = now


# --- Where it lives ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where the status message is posted: `channel` (a user id: their direct message) and,
    in a channel, the thread of the message the ticket came from."""

    channel: str
    thread_ts: str | None = None

    @property
    def in_channel(self) -> bool:
        return self.thread_ts is not None


def status_place(ticket: Ticket) -> Place:
    if ticket.visibility is Visibility.PUBLIC and ticket.origin_channel_id and ticket.origin_ts:
        return Place(ticket.origin_channel_id, ticket.origin_ts)
    return Place(ticket.requester_id)


def conversation_of(
    *, session: Session, channel_id: str, thread_ts: str, for_update: bool = False
) -> Ticket | None:
    """The ticket whose conversation with its requester is this thread."""
    query = select(Ticket).where(
        Ticket.conversation_channel_id == channel_id, Ticket.conversation_ts == thread_ts
    )
    if for_update:
        query = query.with_for_update(of=Ticket)
    return session.scalars(query).first()


def set_conversation(
    *, ticket: Ticket, channel_id: str | None, thread_ts: str | None, status_ts: str | None
) -> None:
    """Where the status message landed; not a change of the ticket (no history, no version)."""
    ticket.conversation_channel_id = channel_id
    ticket.conversation_ts = thread_ts
    ticket.status_ts = status_ts


# --- What a reply does ---------------------------------------------------------------------


class Side(StrEnum):
    """Where a reply was written."""

    REQUESTER = "requester"  # the status message's thread: public, relayed to the card
    CARD = "card"  # the card's thread in the triage channel


def reply_is_public(side: Side, card_thread_replies: str) -> bool:
    """Replies on the requester's side are public; in the card's thread, internal notes
    unless the team relays them (`conversation.card_thread_replies: public`)."""
    return side is Side.REQUESTER or card_thread_replies == "public"


def resumes(ticket: Ticket, author: Viewer) -> bool:
    """The requester answering a ticket that waits on them puts it back to work."""
    return author.user_id == ticket.requester_id and ticket.status is Status.WAITING


def offers_reopen(ticket: Ticket, author: Viewer) -> bool:
    """A reply on a closed ticket does not reopen it silently: its requester is offered to."""
    return author.user_id == ticket.requester_id and ticket.status is Status.CLOSED


def note_waiting(ticket: Ticket, now: datetime) -> None:
    """Keep when the ticket started waiting on its requester (for reminders, auto-close)."""
    if ticket.status is Status.WAITING:
        if ticket.waiting_since is None:
            ticket.waiting_since, ticket.reminded_at = now, None
    else:
        ticket.waiting_since = ticket.reminded_at = None


# --- Who hears what ------------------------------------------------------------------------


class Notify(StrEnum):
    """How much a person hears about the tickets they raised or follow (App Home)."""

    EVERYTHING = "everything"
    REPLIES = "replies"  # replies and closing: the default
    NEEDS_ME = "needs_me"


class News(StrEnum):
    """What happened, for deciding who gets a new message about it."""

    REPLY = "reply"  # an agent's public reply
    WAITING = "waiting"  # the ticket now waits on the requester
    CLOSED = "closed"
    CHANGE = "change"  # anything else: status, assignee, priority...


HEARS = {
    Notify.EVERYTHING: frozenset(News),
    Notify.REPLIES: frozenset({News.REPLY, News.WAITING, News.CLOSED}),
    Notify.NEEDS_ME: frozenset({News.WAITING}),
}


def _chosen(stored: str | None) -> Notify:
    """A person's stored choice; who never chose hears replies and closings."""
    return Notify(stored) if stored else Notify.REPLIES


def notify_level(*, session: Session, workspace_id: str, user_id: str) -> Notify:
    person = session.get(Person, (workspace_id, user_id))
    return _chosen(person.notify if person is not None else None)


def set_notify_level(
    *, session: Session, workspace_id: str, user_id: str, level: Notify, now: datetime
) -> None:
    person = session.get(Person, (workspace_id, user_id))
    if person is None:
        session.add(
            Person(workspace_id=workspace_id, user_id=user_id, notify=level, updated_at=now)
        )
    else:
        person.notify, person.updated_at = level, now


@dataclass(frozen=True)
class Audience:
    """How much the requester and each follower of a ticket hear (their App Home choice)."""

    requester: Notify
    followers: tuple[tuple[str, Notify], ...]  # in user order


@cache
def _audience_query():
    level = Person.notify
    of_follower = (
        select(Follower.user_id, level, literal(False).label("is_requester"))
        .outerjoin(
            Person,
            and_(Person.workspace_id == bindparam("workspace"), Person.user_id == Follower.user_id),
        )
        .where(Follower.ticket_id == bindparam("ticket"))
    )
    requester = bindparam("requester", type_=String)
    of_requester = select(
        requester,
        select(level)
        .where(Person.workspace_id == bindparam("workspace"), Person.user_id == requester)
        .scalar_subquery(),
        literal(True),
    )
    return union_all(of_follower, of_requester)


def audience(*, session: Session, ticket: Ticket) -> Audience:
    """Who may hear of a change, read at once: the requester's level and the followers'."""
    rows = session.execute(
        _audience_query(),
        {"workspace": ticket.workspace_id, "ticket": ticket.id, "requester": ticket.requester_id},
    )
    requester, followed = _chosen(None), []
    for user_id, level, is_requester in rows:
        if is_requester:
            requester = _chosen(level)
        else:
            followed.append((user_id, _chosen(level)))
    return Audience(requester, tuple(sorted(followed)))


def who_hears(
    *, session: Session, ticket: Ticket, news: News, actor: str, heard: Audience | None = None
) -> list[str]:
    """The followers who get a direct message about `news` (never the one who made it). The
    requester hears in their own conversation: see `requester_hears`. `heard`: the ticket's
    audience, when the caller read it already."""
    heard = heard or audience(session=session, ticket=ticket)
    return [
        user_id
        for user_id, level in heard.followers
        if user_id not in (actor, ticket.requester_id) and news in HEARS[level]
    ]


def requester_hears(
    *, session: Session, ticket: Ticket, news: News, actor: str, heard: Audience | None = None
) -> bool:
    """Whether the requester gets a new message (a notification) about `news`, rather than
    only their status message updated in silence."""
    if actor == ticket.requester_id:
        return False
    heard = heard or audience(session=session, ticket=ticket)
    return news in HEARS[heard.requester]
