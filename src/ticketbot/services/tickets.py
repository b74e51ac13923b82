"""Tickets: create, change, close, reopen, find. One call is one transaction's worth of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ticketbot.i18n import _
from ticketbot.services import history, webhooks
from ticketbot.services.access import Viewer, can_edit, can_see
from ticketbot.services.alert_plan import plan_alerts
from ticketbot.services.conversation import note_response, note_waiting
from ticketbot.services.deadlines import DeadlinePolicy, Policies
from ticketbot.services.errors import Forbidden, InvalidInput, NotFound, StaleTicket
from ticketbot.services.inputs import TicketDraft, TicketEdit
from ticketbot.services.search_terms import terms
from ticketbot.services.webhooks import Outbound
from ticketbot.store.db import dialect_insert
from ticketbot.store.models import Party, SearchTerm, Ticket, TicketChange, TicketCounter
from ticketbot.store.updates import write_changes
from ticketbot.vocabulary import Field, Status, WebhookEvent


def _next_number(session: Session, workspace_id: str) -> int:
    """Allocate under the counter row's lock, so concurrent creations never share a number."""
    bump = (
        update(TicketCounter)
        .where(TicketCounter.workspace_id == workspace_id)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is None:
        session.execute(
            dialect_insert(session, TicketCounter)
            .values(workspace_id=workspace_id, last_number=0)
            .on_conflict_do_nothing()
        )
        number = session.execute(bump).scalar_one()
    return number


def _index_title(session: Session, ticket: Ticket) -> None:
    session.execute(delete(SearchTerm).where(SearchTerm.ticket_id == ticket.id))
    words = terms(ticket.title)
    if words:
        session.execute(
            insert(SearchTerm),
            [
                {"ticket_id": ticket.id, "term": w, "workspace_id": ticket.workspace_id}
                for w in words
            ],
        )


def _party(session: Session, workspace_id: str, party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    party = session.get(Party, party_id)
    if party is None or party.workspace_id != workspace_id:
        raise InvalidInput(_("That related party no longer exists."), field="party_id")
    return party


def create_ticket(
    *,
    session: Session,
    workspace_id: str,
    draft: TicketDraft,
    requester_id: str,
    now: datetime,
    policy: DeadlinePolicy | Policies,
    outbound: Outbound | None = None,
) -> Ticket:
    party = _party(session, workspace_id, draft.party_id)
    ticket = Ticket(
        workspace_id=workspace_id,
        number=_next_number(session, workspace_id),
        title=draft.title,
        description=draft.description,
        solution="",
        status=Status.OPEN,
        priority=draft.priority,
        engagement=draft.engagement,
        category=draft.category,
        assignee_id=draft.assignee_id,
        requester_id=requester_id,
        party=party,
        product=draft.product,
        visibility=draft.visibility,
        queue=draft.queue,
        source=draft.source,
        origin_channel_id=draft.origin_channel_id,
        origin_ts=draft.origin_ts,
        created_at=now,
        updated_at=now,
        sla_started_at=now,
        paused_seconds=0,
        version=1,
    )
    ticket.due_at = policy.of(ticket).due_at(ticket)
    session.add(ticket)
    session.flush()
    _index_title(session, ticket)
    plan_alerts(session=session, ticket=ticket, policy=policy, now=now)
    webhooks.emit(
        session=session,
        ticket=ticket,
        kind=WebhookEvent.CREATED,
        now=now,
        actor_id=requester_id,
        outbound=outbound,
    )
    return ticket


# Built once: every click reads its ticket, and building the statement cost more CPU than
# running it.
_TICKET = select(Ticket).where(
    Ticket.workspace_id == bindparam("workspace_id"), Ticket.number == bindparam("number")
)
# Serialises concurrent changes to one ticket, so each lands in order in the history.
_TICKET_LOCKED = _TICKET.with_for_update(of=Ticket)


def get_ticket(
    *,
    session: Session,
    workspace_id: str,
    number: int,
    viewer: Viewer,
    for_update: bool = False,
) -> Ticket:
    """The ticket, or NotFound also when the viewer may not see it: we never confirm it exists."""
    query = _TICKET_LOCKED if for_update else _TICKET
    params = {"workspace_id": workspace_id, "number": number}
    ticket = session.scalars(query, params).unique().one_or_none()
    if ticket is None or not can_see(viewer, ticket):
        raise NotFound(_("Ticket #{number} was not found.").format(number=number))
    return ticket


def _check_version(session: Session, ticket: Ticket, expected: int | None) -> None:
    if expected is None or expected == ticket.version:
        return
    changes = history.changes_since(session=session, ticket=ticket, version=expected)
    raise StaleTicket(
        _("Ticket #{number} was changed by someone else since you opened it.").format(
            number=ticket.number
        ),
        changes=changes,
    )


def _begin_change(ticket: Ticket, viewer: Viewer, now: datetime) -> None:
    if not can_edit(viewer, ticket):
        raise Forbidden(_("Only agents can change tickets raised by someone else."))
    ticket.version += 1
    ticket.updated_at = now
    note_response(ticket, viewer, now)


def _set(
    session: Session, ticket: Ticket, field: Field, attr: str, value: object, actor: str, now
) -> TicketChange | None:
    change = history.record_change(
        session=session,
        ticket=ticket,
        field=field,
        old=getattr(ticket, attr),
        new=value,
        actor=actor,
        now=now,
    )
    setattr(ticket, attr, value)
    return change


def _apply_status(
    ticket: Ticket, status: Status, now: datetime, policy: DeadlinePolicy | Policies
) -> None:
    """Move the engagement clock with the status: pauses stop it, reopening restarts it."""
    policy = policy.of(ticket)
    old = Status(ticket.status)
    if ticket.paused_at is not None and not policy.pauses(status):
        ticket.paused_seconds += int(policy.counted(ticket.paused_at, now).total_seconds())
        ticket.paused_at = None
    if old is Status.CLOSED and status is not Status.CLOSED:
        ticket.closed_at = None
        ticket.sla_started_at = now
        ticket.paused_seconds = 0
    if status is Status.CLOSED:
        ticket.closed_at = now
    elif policy.pauses(status) and ticket.paused_at is None:
        ticket.paused_at = now
    ticket.status = status
    ticket.due_at = policy.due_at(ticket)
    note_waiting(ticket, now)


EDITABLE = (
    (Field.TITLE, "title"),
    (Field.DESCRIPTION, "description"),
    (Field.SOLUTION, "solution"),
    (Field.PRIORITY, "priority"),
    (Field.ENGAGEMENT, "engagement"),
    (Field.CATEGORY, "category"),
    (Field.ASSIGNEE, "assignee_id"),
    (Field.PRODUCT, "product"),
    (Field.VISIBILITY, "visibility"),
    (Field.QUEUE, "queue"),
)


def edit_ticket(
    *,
    session: Session,
    ticket: Ticket,
    edit: TicketEdit,
    viewer: Viewer,
    now: datetime,
    policy: DeadlinePolicy | Policies,
    expected_version: int | None = None,
    outbound: Outbound | None = None,
) -> list[TicketChange]:
    """Write only the fields present in `edit` that differ; each change is one history line."""
    _check_version(session, ticket, expected_version)
    wanted = edit.model_fields_set
    updates: list[tuple[Field, str, object]] = []
    for field, attr in EDITABLE:
        if attr not in wanted:
            continue
        value = getattr(edit, attr)
        if attr in ("description", "solution") and value is None:
            value = ""
        if attr == "title" and not value:
            raise InvalidInput(_("Title is required."), field="title")
        if attr == "solution" and not value and ticket.status is Status.CLOSED:
            raise InvalidInput(_("A closed ticket needs a solution."), field="solution")
        if getattr(ticket, attr) != value:
            updates.append((field, attr, value))
    party = ticket.party
    if "party_id" in wanted and edit.party_id != ticket.party_id:
        party = _party(session, ticket.workspace_id, edit.party_id)
    if not updates and party is ticket.party:
        # Nothing differs: the version stays, so other open forms do not go stale for nothing.
        return []

    _begin_change(ticket, viewer, now)
    changes = []
    for field, attr, value in updates:
        changes.append(
            history.record_change(
                session=session,
                ticket=ticket,
                field=field,
                old=getattr(ticket, attr),
                new=value,
                actor=viewer.user_id,
                now=now,
            )
        )
        setattr(ticket, attr, value)
    if party is not ticket.party:
        changes.append(
            history.record_change(
                session=session,
                ticket=ticket,
                field=Field.PARTY,
                old=ticket.party,
                new=party,
                actor=viewer.user_id,
                now=now,
            )
        )
        ticket.party = party
    if "title" in wanted:
        _index_title(session, ticket)
    if {"priority", "engagement", "queue"} & wanted and ticket.status is not Status.CLOSED:
        ticket.due_at = policy.of(ticket).due_at(ticket)  # a new queue: its deadlines
        plan_alerts(session=session, ticket=ticket, policy=policy, now=now)
    recorded = [change for change in changes if change is not None]
    if recorded:
        webhooks.emit(
            session=session,
            ticket=ticket,
            kind=WebhookEvent.UPDATED,
            now=now,
            actor_id=viewer.user_id,
            changes=recorded,
            outbound=outbound,
        )
    write_changes(session, ticket)
    return recorded


def change_status(
    *,
    session: Session,
    ticket: Ticket,
    status: Status,
    viewer: Viewer,
    now: datetime,
    policy: DeadlinePolicy | Policies,
    solution: str | None = None,
    expected_version: int | None = None,
    outbound: Outbound | None = None,
) -> bool:
    """Returns False when the ticket already had that status (a double click changes nothing)."""
    _check_version(session, ticket, expected_version)
    if status is Status.CLOSED:
        text = (solution if solution is not None else ticket.solution or "").strip()
        if not text:
            raise InvalidInput(_("A solution is required to close a ticket."), field="solution")
        solution = text
    if ticket.status == status:
        return False
    _begin_change(ticket, viewer, now)
    old = Status(ticket.status)
    changes = []
    if solution is not None:
        changes.append(
            _set(session, ticket, Field.SOLUTION, "solution", solution, viewer.user_id, now)
        )
    changes.append(
        history.record_change(
            session=session,
            ticket=ticket,
            field=Field.STATUS,
            old=ticket.status,
            new=status,
            actor=viewer.user_id,
            now=now,
        )
    )
    planned_for = _deadline_inputs(ticket)
    _apply_status(ticket, status, now, policy)
    if _deadline_inputs(ticket) != planned_for:
        # Open <-> In progress moves no deadline: the pending warnings still fit, and
        # planning them again (a flush, an UPDATE, an INSERT) was a third of the change.
        plan_alerts(session=session, ticket=ticket, policy=policy, now=now)
    webhooks.emit(
        session=session,
        ticket=ticket,
        kind=webhooks.status_event(old, status),
        now=now,
        actor_id=viewer.user_id,
        changes=changes,
        outbound=outbound,
    )
    write_changes(session, ticket)  # before the reads that follow would flush it
    return True


def _deadline_inputs(ticket: Ticket) -> tuple:
    """Everything the planned warnings of a ticket are computed from, besides the policy."""
    return (
        ticket.status is Status.CLOSED,
        ticket.paused_at,
        ticket.due_at,
        ticket.sla_started_at,
        ticket.paused_seconds,
    )


def assign(
    *,
    session: Session,
    ticket: Ticket,
    assignee_id: str | None,
    viewer: Viewer,
    now: datetime,
    outbound: Outbound | None = None,
) -> bool:
    if ticket.assignee_id == assignee_id:
        return False
    _begin_change(ticket, viewer, now)
    change = _set(session, ticket, Field.ASSIGNEE, "assignee_id", assignee_id, viewer.user_id, now)
    webhooks.emit(
        session=session,
        ticket=ticket,
        kind=WebhookEvent.UPDATED,
        now=now,
        actor_id=viewer.user_id,
        changes=[change],
        outbound=outbound,
    )
    write_changes(session, ticket)
    return True


def set_card(
    *, ticket: Ticket, channel_id: str | None, ts: str | None, permalink: str | None
) -> None:
    """Where the live card is; not a user-visible change, so neither history nor version."""
    ticket.card_channel_id = channel_id
    ticket.card_ts = ts
    ticket.card_permalink = permalink
