"""Which queue a ticket belongs to, and what its queue imposes on it.

A ticket raised from a request channel belongs to that channel's queue; one raised from a
form, to the queue chosen there (the first queue when there is one). A private queue's
tickets are internal, whatever the form said. Moving a ticket to another queue is an edit
its current queue's agents (or an admin) make. A queue may give each new ticket to one of
its agents, in turn or to the least busy, skipping those away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketbot.config import Queue, TicketbotConfig
from ticketbot.i18n import _
from ticketbot.services.access import Viewer
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.services.inputs import TicketDraft, TicketEdit
from ticketbot.store.db import dialect_insert
from ticketbot.store.models import Person, QueueTurn, Ticket
from ticketbot.vocabulary import Status, Visibility

UNKNOWN = "That queue is no longer set up. Pick another one."


def find_queue(config: TicketbotConfig, chosen: str) -> Queue:
    """A queue named by its key or its name, in any case; InvalidInput lists the queues."""
    wanted = chosen.strip().casefold()
    for queue in config.desks:
        if wanted in (queue.key.casefold(), queue.name.casefold()):
            return queue
    names = ", ".join(queue.name for queue in config.desks)
    raise InvalidInput(
        _("There is no queue called {queue}. The queues are: {names}.").format(
            queue=chosen.strip()[:40], names=names
        ),
        field="queue",
    )


def _known(config: TicketbotConfig, key: str) -> bool:
    return any(queue.key == key for queue in config.desks)


def place_draft(
    config: TicketbotConfig, draft: TicketDraft, *, chosen: bool, channel_id: str | None = None
) -> TicketDraft:
    """The draft in its queue: the one chosen in the form (`chosen`), else the request
    channel's, else the first; internal when that queue is private."""
    if chosen:
        if not _known(config, draft.queue):
            raise InvalidInput(_(UNKNOWN), field="queue")
        queue = config.queue(draft.queue)
    else:
        queue = config.queue_of_channel(channel_id) or config.desks[0]
    update: dict = {"queue": queue.key}
    if queue.private:
        update["visibility"] = Visibility.INTERNAL
    return draft.model_copy(update=update)


def place_edit(
    config: TicketbotConfig, ticket: Ticket, edit: TicketEdit, viewer: Viewer
) -> TicketEdit:
    """An edit checked against the queues: a move goes to a known queue, by the current
    queue's agents; a private queue's ticket stays (or becomes) internal."""
    target = ticket.queue
    if "queue" in edit.model_fields_set and edit.queue and edit.queue != ticket.queue:
        if not viewer.works_on(ticket):
            raise Forbidden(_("Only the queue's agents move a ticket to another queue."))
        if not _known(config, edit.queue):
            raise InvalidInput(_(UNKNOWN), field="queue")
        target = edit.queue
    elif "queue" in edit.model_fields_set:
        fields = edit.model_dump(exclude_unset=True, exclude={"queue"})
        edit = TicketEdit.model_validate(fields)  # no move: nothing to write
    if config.queue(target).private and (
        edit.visibility is not None or ticket.visibility is not Visibility.INTERNAL
    ):
        edit = edit.model_copy(update={"visibility": Visibility.INTERNAL})
    return edit


def forced_visibility(config: TicketbotConfig, ticket: Ticket) -> Visibility | None:
    """What a ticket's queue imposes on its visibility (None: the ticket's own choice)."""
    return Visibility.INTERNAL if config.queue(ticket.queue).private else None


# --- Assignment -----------------------------------------------------------------------------


def _agents_here(session: Session, workspace_id: str, agents: Sequence[str]) -> list[str]:
    """The queue's agents who are not away, in the queue's order."""
    away = set(
        session.scalars(
            select(Person.user_id).where(
                Person.workspace_id == workspace_id,
                Person.user_id.in_(agents),
                Person.away.is_(True),
            )
        )
    )
    return [agent for agent in agents if agent not in away]


def _turn(session: Session, workspace_id: str, queue: str, now: datetime) -> QueueTurn:
    """The queue's turn row, locked: one assignment of the queue at a time, on every
    replica, so two tickets raised at once never go to the same turn."""
    session.execute(
        dialect_insert(session, QueueTurn)
        .values(workspace_id=workspace_id, queue=queue, updated_at=now)
        .on_conflict_do_nothing()
    )
    return session.scalars(
        select(QueueTurn)
        .where(QueueTurn.workspace_id == workspace_id, QueueTurn.queue == queue)
        .with_for_update()
    ).one()


def _open_counts(session: Session, workspace_id: str, agents: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.workspace_id == workspace_id,
            Ticket.assignee_id.in_(agents),
            Ticket.status != Status.CLOSED,
        )
        .group_by(Ticket.assignee_id)
    )
    return {assignee: count for assignee, count in rows}


def next_assignee(
    *, session: Session, workspace_id: str, queue: Queue, agents: Sequence[str], now: datetime
) -> str | None:
    """Who a new ticket of the queue goes to: `round_robin`, the next agent after the last
    one given a ticket (in the queue's order, the turn kept in the database); `least_open`,
    the agent with the fewest open tickets (ties: the queue's order). Agents away are
    skipped; None when the queue assigns nobody or nobody is here."""
    if queue.assign == "none" or not agents:
        return None
    turn = _turn(session, workspace_id, queue.key, now)
    here = _agents_here(session, workspace_id, agents)
    if not here:
        return None
    if queue.assign == "least_open":
        counts = _open_counts(session, workspace_id, here)
        chosen = min(here, key=lambda agent: (counts.get(agent, 0), here.index(agent)))
    else:
        last = turn.last_assignee_id
        start = agents.index(last) + 1 if last in agents else 0
        ordered = [*agents[start:], *agents[:start]]
        chosen = next(agent for agent in ordered if agent in here)
    turn.last_assignee_id, turn.updated_at = chosen, now
    return chosen


def set_away(*, session: Session, workspace_id: str, user_id: str, away: bool, now: datetime):
    """An agent says they are away (no new tickets, no direct messages) or back."""
    person = session.get(Person, (workspace_id, user_id))
    if person is None:
        session.add(Person(workspace_id=workspace_id, user_id=user_id, away=away, updated_at=now))
    else:
        person.away, person.updated_at = away, now


def is_away(*, session: Session, workspace_id: str, user_id: str) -> bool:
    person = session.get(Person, (workspace_id, user_id))
    return bool(person and person.away)
