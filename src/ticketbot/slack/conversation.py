"""The forms and buttons of the conversation with the requester: an agent's Reply to
requester, the requester's own Reply, Close and Reopen on their status message, followers,
and how much each person hears. Stored before the ack, like every change (slack/flows.py)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import history
from ticketbot.services import messages as outbox
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Viewer, can_see
from ticketbot.services.conversation import News, Notify, resumes, set_notify_level
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.events import first_delivery
from ticketbot.services.finder import Scope, list_tickets
from ticketbot.services.inputs import clean_text
from ticketbot.services.queues import set_away
from ticketbot.services.refreshes import refresh_views
from ticketbot.slack import notify
from ticketbot.slack.flows import find_ticket
from ticketbot.slack.status import language_for
from ticketbot.store.models import Follower, Ticket
from ticketbot.views import conversation as views
from ticketbot.views import status as status_views
from ticketbot.vocabulary import Field, Status


def _done(runtime: Runtime) -> None:
    runtime.slack_changed()


def agent_reply(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    text: str,
    waiting: bool,
) -> Ticket:
    """Reply to requester: a public comment and a history line, the reply sent where the
    requester talks with us (a new message: Slack tells them), and Waiting on reply if
    asked."""
    if not viewer.is_agent:  # before anything is read: the button is agents' only
        raise Forbidden(_("Only agents reply to the requester from the card."))
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        if not viewer.works_on(ticket):
            raise Forbidden(_("Only agents reply to the requester from the card."))
        comment = comment_service.add_comment(
            session=session,
            ticket=ticket,
            viewer=viewer,
            text=text,
            now=now,
            outbound=runtime.outbound,
        )
        assert comment is not None
        history.record_change(
            session=session,
            ticket=ticket,
            field=Field.REPLY,
            old=None,
            new=comment.text[:500],
            actor=viewer.user_id,
            now=now,
        )
        if waiting and ticket.status is not Status.WAITING:
            ticket_service.change_status(
                session=session,
                ticket=ticket,
                status=Status.WAITING,
                viewer=viewer,
                now=now,
                policy=runtime.policy,
                outbound=runtime.outbound,
            )
        agent = runtime.directory.name(quick, viewer.user_id)
        notify.to_requester(
            runtime, session, quick, ticket,
            lambda: status_views.agent_reply(ticket, agent=agent, text=comment.text,
                                             waiting=ticket.status is Status.WAITING),
        )  # fmt: skip
        notify.followers_hear(
            runtime, session, quick, ticket, News.REPLY, viewer.user_id,
            lambda: views.reply_text(agent, comment.text),
        )  # fmt: skip
        refresh_views(session=session, ticket=ticket, now=now)
    _done(runtime)
    return ticket


def requester_answer(
    runtime: Runtime, quick: WebClient, *, workspace_id: str, number: int, viewer: Viewer, text: str
) -> Ticket:
    """The requester's Reply from their status message: as a reply in their thread."""
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        comment = comment_service.add_comment(
            session=session, ticket=ticket, viewer=viewer, text=text, now=now,
            outbound=runtime.outbound,
        )  # fmt: skip
        assert comment is not None
        author = runtime.directory.name(quick, viewer.user_id)
        with speaking(runtime.config.channel_language):
            relayed = views.relayed_reply(author=author, text=comment.text, files=None, link=None)
        outbox.queue_message(
            session=session, ticket=ticket, kind=outbox.NOTICE, channel=outbox.CARD,
            message=relayed, now=now,
        )  # fmt: skip
        if resumes(ticket, viewer):
            ticket_service.change_status(
                session=session, ticket=ticket, status=Status.IN_PROGRESS, viewer=viewer,
                now=now, policy=runtime.policy, outbound=runtime.outbound,
            )  # fmt: skip
        if ticket.assignee_id and ticket.assignee_id != viewer.user_id:
            notify.to_person(
                runtime, session, quick, ticket, ticket.assignee_id,
                lambda: views.requester_replied_notice(
                    ticket, author=author, text=comment.text, card_link=ticket.card_permalink
                ),
            )  # fmt: skip
        refresh_views(session=session, ticket=ticket, now=now)
    _done(runtime)
    return ticket


def resolve(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    solution: str,
) -> Ticket:
    """The requester (or an agent) closes the ticket from the status message; what solved it
    is optional there. Followers hear of it (the requester closing their own is asked no
    rating)."""
    words = clean_text(solution)
    if not words:
        with speaking(runtime.config.channel_language):
            words = _("Closed by the requester.")
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        if ticket_service.change_status(
            session=session, ticket=ticket, status=Status.CLOSED, solution=words, viewer=viewer,
            now=now, policy=runtime.policy, outbound=runtime.outbound,
        ):  # fmt: skip
            notify.status_news(runtime, session, quick, ticket, viewer.user_id)
        refresh_views(session=session, ticket=ticket, now=now)
    _done(runtime)
    return ticket


def reopen(
    runtime: Runtime, quick: WebClient, *, workspace_id: str, number: int, viewer: Viewer
) -> Ticket:
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        if ticket.status is Status.CLOSED:
            ticket_service.change_status(
                session=session, ticket=ticket, status=Status.OPEN, viewer=viewer, now=now,
                policy=runtime.policy, outbound=runtime.outbound,
            )  # fmt: skip
            notify.status_news(runtime, session, quick, ticket, viewer.user_id)
        refresh_views(session=session, ticket=ticket, now=now)
    _done(runtime)
    return ticket


# --- Followers and what people hear ----------------------------------------------------------


def follower_ids(runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer) -> list:
    with runtime.database.transaction(read_only=True) as session:
        ticket = find_ticket(session, workspace_id, number, viewer)
        return list(
            session.scalars(select(Follower.user_id).where(Follower.ticket_id == ticket.id))
        )


def _may_manage_followers(viewer: Viewer, ticket: Ticket) -> bool:
    return viewer.works_on(ticket) or viewer.user_id == ticket.requester_id


def set_followers(
    runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer, users: list[str]
) -> Ticket:
    """The followers as the form says (agents, and the requester of their own ticket)."""
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        if not _may_manage_followers(viewer, ticket):
            raise Forbidden(_("Only agents and the requester choose who follows a ticket."))
        _replace_followers(session, ticket, set(users) - {ticket.requester_id}, viewer, now)
    return ticket


def _replace_followers(
    session: Session, ticket: Ticket, wanted: set[str], viewer: Viewer, now: datetime
) -> None:
    current = set(session.scalars(select(Follower.user_id).where(Follower.ticket_id == ticket.id)))
    gone = current - wanted
    if gone:
        session.execute(
            delete(Follower).where(Follower.ticket_id == ticket.id, Follower.user_id.in_(gone))
        )
    for user_id in sorted(wanted - current):
        session.add(
            Follower(ticket_id=ticket.id, user_id=user_id, added_by=viewer.user_id, added_at=now)
        )


def toggle_follow(
    runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer
) -> tuple[Ticket, bool]:
    """Follow (or stop following) a ticket one may see. Returns whether one follows it now."""
    now = runtime.clock.now()
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        if not can_see(viewer, ticket):
            raise Forbidden(_("That ticket was not found."))
        row = session.get(Follower, (ticket.id, viewer.user_id))
        if row is not None:
            session.delete(row)
            return ticket, False
        session.add(
            Follower(
                ticket_id=ticket.id, user_id=viewer.user_id, added_by=viewer.user_id, added_at=now
            )
        )
        return ticket, True


def choose_notifications(
    runtime: Runtime, *, workspace_id: str, viewer: Viewer, level: str
) -> Notify:
    """How much `viewer` hears of their tickets, chosen in App Home."""
    try:
        chosen = Notify(level)
    except ValueError:
        raise InvalidInput(_("Choose how much you hear from the list."), field="notify") from None
    with runtime.database.transaction() as session:
        set_notify_level(
            session=session,
            workspace_id=workspace_id,
            user_id=viewer.user_id,
            level=chosen,
            now=runtime.clock.now(),
        )
    return chosen


def choose_away(runtime: Runtime, *, workspace_id: str, viewer: Viewer, away: object) -> bool:
    """An agent away (no new tickets, no direct messages) or back, switched in App Home."""
    if not viewer.is_agent:
        raise Forbidden(_("Only agents can set themselves away."))
    if away not in ("away", "back"):
        raise InvalidInput(_("Press Away or Back again."), field="away")
    with runtime.database.transaction() as session:
        set_away(
            session=session, workspace_id=workspace_id, user_id=viewer.user_id,
            away=away == "away", now=runtime.clock.now(),
        )  # fmt: skip
    return away == "away"


# --- A direct message to the bot outside any ticket's thread ---------------------------------


def answer_direct_message(
    runtime: Runtime,
    client: WebClient,
    *,
    event_id: str,
    workspace_id: str,
    viewer: Viewer,
    channel_id: str,
) -> None:
    """Not lost: the person's open tickets, to reply on one, and New ticket; answered once
    however often Slack sends the message."""
    with runtime.database.transaction() as session:
        if not first_delivery(session=session, event_id=event_id, now=runtime.clock.now()):
            return
    with runtime.database.transaction(read_only=True) as session:
        mine = list_tickets(
            session=session, workspace_id=workspace_id, viewer=viewer, scope=Scope.MINE,
            limit=10, open_only=True,
        )  # fmt: skip
    with speaking(runtime.directory.language(client, viewer.user_id)):
        answer = views.open_tickets_answer(mine)
    client.chat_postMessage(channel=channel_id, **answer)


def status_language(runtime: Runtime, quick: WebClient, ticket: Ticket) -> str:
    return language_for(runtime, quick, ticket)
