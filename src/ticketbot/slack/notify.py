"""Who is told what, in their language, queued in the transaction of the change they tell
about (services/messages.py), posted by the deliverer.

The requester gets a new message only when something needs them or is final (an agent's
public reply, the move to Waiting on reply, the closing with its solution), as they chose in
App Home; other changes update their status message in silence. Followers hear the same in
a direct message; an assignee hears when someone else assigns them, and when the requester
replies on their ticket."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services.conversation import (
    Audience,
    News,
    audience,
    requester_hears,
    who_hears,
)
from ticketbot.services.messages import NOTICE, REQUESTER, queue_message
from ticketbot.services.queues import is_away
from ticketbot.slack.status import language_for
from ticketbot.store.models import StatusRefresh, Ticket
from ticketbot.views import conversation as views
from ticketbot.views import status as status_views
from ticketbot.vocabulary import Status


def has_conversation(session: Session, ticket: Ticket) -> bool:
    """Whether the requester has a status message (or one on its way) to talk under."""
    return ticket.status_ts is not None or session.get(StatusRefresh, ticket.id) is not None


def to_requester(
    runtime: Runtime, session: Session, quick: WebClient, ticket: Ticket, render
) -> None:
    """Queue `render()` (a message, in the requester's language) where they talk with us."""
    if not has_conversation(session, ticket):
        return
    with speaking(language_for(runtime, quick, ticket)):
        message = render()
    queue_message(
        session=session,
        ticket=ticket,
        kind=NOTICE,
        channel=REQUESTER,
        message=message,
        now=runtime.clock.now(),
    )


def to_person(
    runtime: Runtime,
    session: Session,
    quick: WebClient,
    ticket: Ticket,
    user_id: str,
    render,
    *,
    source: tuple[str, str] | None = None,
) -> None:
    """Queue `render()` as a direct message to `user_id`, in their language; nothing to an
    agent who is away. `source`: the Slack message it quotes, whose deletion deletes it too."""
    if is_away(session=session, workspace_id=ticket.workspace_id, user_id=user_id):
        return
    with speaking(runtime.directory.language(quick, user_id)):
        message = render()
    queue_message(
        session=session,
        ticket=ticket,
        kind=NOTICE,
        channel=user_id,
        message=message,
        now=runtime.clock.now(),
        source=source,
    )


def followers_hear(
    runtime: Runtime,
    session: Session,
    quick: WebClient,
    ticket: Ticket,
    news: News,
    actor: str,
    what,
    *,
    source: tuple[str, str] | None = None,
    heard: Audience | None = None,
) -> None:
    """Each follower who wants `news` gets `what()` (text for them) in a direct message;
    `source`: the Slack message it quotes; `heard`: the ticket's audience, if read already."""
    chosen = who_hears(session=session, ticket=ticket, news=news, actor=actor, heard=heard)
    for user_id in chosen:
        to_person(
            runtime,
            session,
            quick,
            ticket,
            user_id,
            lambda: views.follower_notice(ticket, what=what()),
            source=source,
        )


def status_news(
    runtime: Runtime, session: Session, quick: WebClient, ticket: Ticket, actor: str
) -> None:
    """A status the ticket just got, told to whoever wants to hear it."""
    name = runtime.directory.name(quick, actor)
    status = Status(ticket.status)
    news = {Status.WAITING: News.WAITING, Status.CLOSED: News.CLOSED}.get(status, News.CHANGE)
    heard = audience(session=session, ticket=ticket)  # one read for the requester and followers
    if requester_hears(session=session, ticket=ticket, news=news, actor=actor, heard=heard):
        if news is News.WAITING:
            to_requester(
                runtime, session, quick, ticket,
                lambda: status_views.waiting_notice(ticket, agent=name),
            )  # fmt: skip
        elif news is News.CLOSED:
            to_requester(
                runtime, session, quick, ticket, lambda: status_views.closing_notice(ticket)
            )
        else:
            to_requester(
                runtime, session, quick, ticket,
                lambda: views.follower_notice(ticket, what=views.status_change_text(status, name)),
            )  # fmt: skip
    followers_hear(
        runtime, session, quick, ticket, news, actor,
        lambda: views.status_change_text(status, name), heard=heard,
    )  # fmt: skip


def assigned(
    runtime: Runtime, session: Session, quick: WebClient, ticket: Ticket, actor: str
) -> None:
    """The new assignee hears it, unless they assigned themselves."""
    if not ticket.assignee_id or ticket.assignee_id == actor:
        return
    by = runtime.directory.name(quick, actor)
    to_person(
        runtime,
        session,
        quick,
        ticket,
        ticket.assignee_id,
        lambda: views.assigned_notice(ticket, by=by, card_link=ticket.card_permalink),
    )
