"""Write-then-publish: each use case changes the ticket in one transaction through the
services, then shows the result in Slack (the card, the requester, the thread)."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Viewer
from ticketbot.services.errors import Forbidden
from ticketbot.services.inputs import TicketDraft, TicketEdit
from ticketbot.services.parties import party_from_choice
from ticketbot.services.ratings import rate_ticket, should_ask
from ticketbot.slack.cards import card_extras, refresh_card
from ticketbot.slack.publish import ask_for_rating, publish_new_ticket, reply_in_thread
from ticketbot.slack.request import permalink
from ticketbot.store.models import Ticket
from ticketbot.views.lists import comment_echo
from ticketbot.views.rating import rating_thanks
from ticketbot.vocabulary import Status

# A change to one ticket, inside the transaction that holds it locked.
Change = Callable[[Session, Ticket], object]


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
) -> Ticket:
    """Create the ticket (and the party it relates to, and the link to its message) in the
    caller's transaction."""
    now = runtime.clock.now()
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
    return ticket


def raise_ticket(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    draft: TicketDraft,
    requester: Viewer,
    origin: tuple[str, str] | None = None,
    party_choice: str | None = None,
    response_url: str | None = None,
) -> Ticket:
    """A ticket from the create form: stored, then shown everywhere it belongs."""
    link = permalink(client, *origin) if origin else None
    with runtime.database.transaction() as session:
        ticket = store_new_ticket(
            runtime,
            session,
            workspace_id=workspace_id,
            draft=draft,
            requester=requester,
            origin=origin,
            origin_link=link,
            party_choice=party_choice,
        )
    publish_new_ticket(runtime, client, ticket, response_url=response_url, origin=origin)
    return ticket


# --- Changing a ticket ---------------------------------------------------------------------


def change_ticket(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    change: Change,
    show_refusal: bool = False,
    after: Callable[[], object] | None = None,
) -> Ticket:
    """Apply `change` to the locked ticket, then re-render its card in place.

    `show_refusal`: when the change is refused, the card is rendered again anyway, so a
    select the user moved goes back to what the ticket really is. `after` runs once the
    change is committed, before the card is touched (a form's acknowledgement)."""
    with runtime.database.transaction() as session:
        ticket = find_ticket(session, workspace_id, number, viewer, for_update=True)
        try:
            change(session, ticket)
        except Forbidden:
            if show_refusal:
                refresh_card(runtime, client, ticket)
            raise
        extras = card_extras(runtime, ticket)
    if after is not None:
        after()
    refresh_card(runtime, client, ticket, extras)
    return ticket


KEEP = object()  # a field the form did not change


def edit_ticket(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    edit: TicketEdit,
    party_choice: str | object | None = KEEP,
    expected_version: int | None = None,
    after: Callable[[], object] | None = None,
) -> Ticket:
    """The Edit form's changes, refused (StaleTicket) when the ticket changed since it was
    opened."""

    def apply(session: Session, ticket: Ticket) -> None:
        wanted = edit
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
        runtime,
        client,
        workspace_id=workspace_id,
        number=number,
        viewer=viewer,
        change=apply,
        after=after,
    )


def set_status(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    status: Status,
) -> Ticket:
    """A status chosen on the card (not Closed: that asks for a solution first)."""
    return change_ticket(
        runtime,
        client,
        workspace_id=workspace_id,
        number=number,
        viewer=viewer,
        show_refusal=True,
        change=lambda session, ticket: ticket_service.change_status(
            session=session,
            ticket=ticket,
            status=status,
            viewer=viewer,
            now=runtime.clock.now(),
            policy=runtime.policy,
            outbound=runtime.outbound,
        ),
    )


def assign_ticket(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    assignee_id: str | None,
) -> Ticket:
    return change_ticket(
        runtime,
        client,
        workspace_id=workspace_id,
        number=number,
        viewer=viewer,
        show_refusal=True,
        change=lambda session, ticket: ticket_service.assign(
            session=session,
            ticket=ticket,
            assignee_id=assignee_id,
            viewer=viewer,
            now=runtime.clock.now(),
            outbound=runtime.outbound,
        ),
    )


def close_ticket(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    solution: str,
) -> Ticket:
    """Close with a solution, then ask the requester how it went."""
    closed = []

    def close(session: Session, ticket: Ticket) -> None:
        closed.append(
            ticket_service.change_status(
                session=session,
                ticket=ticket,
                status=Status.CLOSED,
                solution=solution,
                viewer=viewer,
                now=runtime.clock.now(),
                policy=runtime.policy,
                outbound=runtime.outbound,
            )
        )

    ticket = change_ticket(
        runtime, client, workspace_id=workspace_id, number=number, viewer=viewer, change=close
    )
    if closed[0] and should_ask(ticket, viewer):
        ask_for_rating(runtime, client, ticket)
    return ticket


def comment_from_form(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    text: str,
) -> None:
    """A comment written in the Comment form, echoed in the card's thread."""
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
    if ticket.card_channel_id and ticket.card_ts and comment is not None:
        with speaking(runtime.config.channel_language):  # the card's thread is public
            echo = comment_echo(viewer.user_id, comment.text)
        client.chat_postMessage(channel=ticket.card_channel_id, thread_ts=ticket.card_ts, **echo)


def link_message(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    channel_id: str,
    message_ts: str,
) -> None:
    """Link a message to a ticket, and say so in the message's thread."""
    link = permalink(client, channel_id, message_ts)
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
    reply_in_thread(
        runtime, client, channel_id, message_ts, ticket, ticket.card_permalink, linked=True
    )


def rate(
    runtime: Runtime,
    client: WebClient,
    *,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    score: int,
    channel_id: str | None,
    message_ts: str | None,
) -> None:
    """Keep the requester's score, and thank them in the message that asked."""
    with runtime.database.transaction() as session:
        ticket = rate_ticket(
            session=session,
            workspace_id=workspace_id,
            number=number,
            viewer=viewer,
            score=score,
            now=runtime.clock.now(),
        )
    client.chat_update(channel=channel_id, ts=message_ts, **rating_thanks(ticket, score))
