"""Write, then publish: what a person did is stored before Slack is answered, then shown.

Each use case here is one transaction through the services, run on the request's thread
before the ack (within the request's database deadline): when it cannot be stored, the
person is told so and nothing was done. It marks the ticket's card in the same transaction
(services/refreshes.py), so the card follows even if this process dies right after the
answer. What only Slack must do next (a confirmation, a pointer in a thread, a rating
request) is in slack/publish.py, run after the ack."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Role, Viewer
from ticketbot.services.errors import Forbidden
from ticketbot.services.inputs import TicketDraft, TicketEdit
from ticketbot.services.parties import party_from_choice
from ticketbot.services.queues import next_assignee, place_draft, place_edit
from ticketbot.services.ratings import rate_ticket
from ticketbot.services.refreshes import mark_card, mark_status, refresh_card, refresh_views
from ticketbot.slack import notify
from ticketbot.slack.request import permalink
from ticketbot.store.models import Comment, Ticket
from ticketbot.vocabulary import Status

# A change to one ticket, inside the transaction that holds it locked.
Change = Callable[[Session, Ticket], object]
# How long the request that raised a ticket has to post its card before the deliverer does.
NEW_CARD_LEASE = timedelta(minutes=1)


def find_ticket(
    session: Session, workspace_id: str, number: int, viewer: Viewer, *, for_update=False
) -> Ticket:
    """The ticket of the workspace, as the viewer may see it (NotFound otherwise)."""
    return ticket_service.get_ticket(
        session=session,
        workspace_id=workspace_id,
        number=number,
        viewer=viewer,
        for_update=for_update,
    )


# --- Raising a ticket ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket:
    ticket: Ticket
    claim: str  # this request's hold on posting the card (services/refreshes.py)
    origin: tuple[str, str] | None = None


def store_new_ticket(
    runtime: Runtime,
    session: Session,
    *,
    workspace_id: str,
    draft: TicketDraft,
    requester: Viewer,
    origin: tuple[str, str] | None = None,
    origin_link: str | None = None,
    party_choice: str | None = None,
    quick: WebClient | None = None,
) -> NewTicket:
    """Create the ticket (and the party it relates to, and the link to its message) in the
    caller's transaction, its card to be posted by the caller after the ack. When its queue
    assigns tickets, it goes to the next agent (`quick` resolves the queue's user groups)."""
    now = runtime.clock.now()
    draft = place_draft(
        runtime.config, draft, chosen="queue" in draft.model_fields_set,
        channel_id=origin[0] if origin else None,
    )  # fmt: skip
    party_id = party_from_choice(
        session=session, workspace_id=workspace_id, choice=party_choice, now=now
    )
    if party_id is not None:
        draft = draft.model_copy(update={"party_id": party_id})
    ticket = ticket_service.create_ticket(
        session=session,
        workspace_id=workspace_id,
        draft=draft,
        requester_id=requester.user_id,
        now=now,
        policy=runtime.policy,
        outbound=runtime.outbound,
    )
    if origin:
        link_service.link_conversation(
            session=session,
            ticket=ticket,
            viewer=requester,
            channel_id=origin[0],
            message_ts=origin[1],
            permalink=origin_link,
            now=now,
        )
    if quick is not None:
        _assign_new(runtime, session, quick, ticket)
    claim = uuid.uuid4().hex
    # The card and the requester's status message are posted by the caller after the ack;
    # if it never gets to them, the deliverer does once the lease ends.
    mark_card(session=session, ticket_id=ticket.id, now=now, claim=claim, lease=NEW_CARD_LEASE)
    mark_status(session=session, ticket_id=ticket.id, now=now, claim=claim, lease=NEW_CARD_LEASE)
    return NewTicket(ticket, claim, origin)


def _assign_new(runtime: Runtime, session: Session, quick: WebClient, ticket: Ticket) -> None:
    queue = runtime.config.queue(ticket.queue)
    if queue.assign == "none":
        return
    assignee = next_assignee(
        session=session, workspace_id=ticket.workspace_id, queue=queue,
        agents=runtime.directory.agents_of(quick, queue.key), now=runtime.clock.now(),
    )  # fmt: skip
    if assignee is None:
        return
    bot = Viewer(runtime.directory.bot_id(quick), Role.ADMIN)  # the history says the bot did
    ticket_service.assign(
        session=session, ticket=ticket, assignee_id=assignee, viewer=bot,
        now=runtime.clock.now(), outbound=runtime.outbound,
    )  # fmt: skip
    notify.assigned(runtime, session, quick, ticket, bot.user_id)


def raise_ticket(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    draft: TicketDraft,
    requester: Viewer,
    origin: tuple[str, str] | None = None,
    party_choice: str | None = None,
) -> NewTicket:
    """A ticket from the create form. `quick`: the client for what is asked of Slack before
    the answer (the origin's permalink)."""
    link = permalink(quick, *origin) if origin else None
    with runtime.database.transaction() as session:
        return store_new_ticket(
            runtime,
            session,
            workspace_id=workspace_id,
            draft=draft,
            requester=requester,
            origin=origin,
            origin_link=link,
            party_choice=party_choice,
            quick=quick,
        )


# --- Changing a ticket ---------------------------------------------------------------------


def change_ticket(
    runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer, change: Change
) -> Ticket:
    """Apply `change` to the locked ticket and mark its card; shown once committed.

    When the change is refused, the card is marked anyway, so that a select the person moved
    goes back to what the ticket really is."""
    found: list[int] = []
    try:
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
            found.append(ticket.id)
            change(session, ticket)
            refresh_views(session=session, ticket=ticket, now=runtime.clock.now())
    except Forbidden:
        if found:  # nothing of the change was kept; the card is drawn again as it is
            redraw_card(runtime, found[0])
        raise
    runtime.slack_changed()
    return ticket


def redraw_card(runtime: Runtime, ticket_id: int) -> None:
    """Draw the card again as the ticket is (a select moved to a refused choice goes back)."""
    with runtime.database.transaction() as session:
        stored = session.get(Ticket, ticket_id)
        if stored is not None:
            refresh_card(session=session, ticket=stored, now=runtime.clock.now())
    runtime.slack_changed()


KEEP = object()  # a field the form did not change


def edit_ticket(
    runtime: Runtime,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    edit: TicketEdit,
    party_choice: str | object | None = KEEP,
    expected_version: int | None = None,
) -> Ticket:
    """The Edit form's changes, refused (StaleTicket) when the ticket changed since it was
    opened."""

    def apply(session: Session, ticket: Ticket) -> None:
        wanted = place_edit(runtime.config, ticket, edit, viewer)
        if party_choice is not KEEP:
            party_id = party_from_choice(
                session=session,
                workspace_id=ticket.workspace_id,
                choice=party_choice,  # type: ignore[arg-type]
                now=runtime.clock.now(),
            )
            wanted = wanted.model_copy(update={"party_id": party_id})
        ticket_service.edit_ticket(
            session=session,
            ticket=ticket,
            edit=wanted,
            viewer=viewer,
            now=runtime.clock.now(),
            policy=runtime.policy,
            expected_version=expected_version,
            outbound=runtime.outbound,
        )

    return change_ticket(
        runtime, workspace_id=workspace_id, number=number, viewer=viewer, change=apply
    )


def set_status(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    status: Status,
    solution: str | None = None,
) -> tuple[Ticket, bool]:
    """A status chosen on the card, or closing with a solution; whether it changed. Who
    wants to hear of it is told (the requester of a closing, with its rating buttons)."""
    changed = []

    def apply(session: Session, ticket: Ticket) -> None:
        changed.append(
            ticket_service.change_status(
                session=session,
                ticket=ticket,
                status=status,
                solution=solution,
                viewer=viewer,
                now=runtime.clock.now(),
                policy=runtime.policy,
                outbound=runtime.outbound,
            )
        )
        if changed[-1]:
            notify.status_news(runtime, session, quick, ticket, viewer.user_id)

    ticket = change_ticket(
        runtime, workspace_id=workspace_id, number=number, viewer=viewer, change=apply
    )
    return ticket, bool(changed and changed[-1])


def assign_ticket(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    assignee_id: str | None,
) -> Ticket:
    """The assignee hears of it by direct message, unless they assigned themselves."""

    def apply(session: Session, ticket: Ticket) -> None:
        if ticket_service.assign(
            session=session,
            ticket=ticket,
            assignee_id=assignee_id,
            viewer=viewer,
            now=runtime.clock.now(),
            outbound=runtime.outbound,
        ):
            notify.assigned(runtime, session, quick, ticket, viewer.user_id)

    return change_ticket(
        runtime, workspace_id=workspace_id, number=number, viewer=viewer, change=apply
    )


def add_comment(
    runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer, text: str
) -> tuple[Ticket, Comment | None]:
    """A comment written in the Comment form (echoed in the card's thread after the ack)."""
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        comment = comment_service.add_comment(
            session=session,
            ticket=ticket,
            viewer=viewer,
            text=text,
            now=runtime.clock.now(),
            outbound=runtime.outbound,
        )
    return ticket, comment


def link_message(
    runtime: Runtime,
    quick: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    channel_id: str,
    message_ts: str,
) -> Ticket:
    """Link a message to a ticket (said in the message's thread after the ack)."""
    link = permalink(quick, channel_id, message_ts)
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        link_service.link_conversation(
            session=session,
            ticket=ticket,
            viewer=viewer,
            channel_id=channel_id,
            message_ts=message_ts,
            permalink=link,
            now=runtime.clock.now(),
        )
    return ticket


def rate(runtime: Runtime, *, workspace_id: str, number: int, viewer: Viewer, score: int) -> Ticket:
    """Keep the requester's score (thanked in the message that asked, after the ack)."""
    with runtime.database.transaction() as session:
        return rate_ticket(
            session=session,
            workspace_id=workspace_id,
            number=number,
            viewer=viewer,
            score=score,
            now=runtime.clock.now(),
        )
