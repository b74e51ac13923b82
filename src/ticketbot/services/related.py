"""Related items of a ticket: add, close (activities), remove, list, count.

Each change is a history line (`Field.RELATED`) whose values read "kind:title", or
"activity/done:title" for a closed activity, so the History modal can say what happened
in any language. These changes do not bump the ticket's version: an expense added while
someone edits the priority must not make their form stale."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, not_, or_, select
from sqlalchemy.orm import Session

from ticketbot.i18n import _, label
from ticketbot.services import history
from ticketbot.services.access import (
    Viewer,
    can_add_related,
    can_manage_related,
    can_see,
    related_kinds_for,
)
from ticketbot.services.errors import Forbidden, InvalidInput, NotFound
from ticketbot.services.related_input import RelatedInput
from ticketbot.store.models import RelatedItem, Ticket, TicketChange
from ticketbot.vocabulary import Field, RelatedKind

DONE = "done"  # the state mark of a closed activity in history values
FETCH_PER_GROUP = 90  # more than a modal can show of one group


def history_value(item: RelatedItem) -> str:
    state = f"/{DONE}" if item.closed_at is not None else ""
    return f"{item.kind}{state}:{item.title}"


def parse_history_value(value: str) -> tuple[RelatedKind, bool, str] | None:
    """(kind, closed, title) of a stored history value, or None when it is not one."""
    head, sep, title = value.partition(":")
    kind, _slash, state = head.partition("/")
    try:
        return (RelatedKind(kind), state == DONE, title) if sep else None
    except ValueError:
        return None


def hidden_history(viewer: Viewer, ticket: Ticket | None = None) -> ColumnElement[bool] | None:
    """History lines about kinds this viewer may not see, to leave out of their timeline."""
    visible = related_kinds_for(viewer, RelatedKind, ticket)
    if len(visible) == len(RelatedKind):
        return None
    value = func.coalesce(TicketChange.new_value, TicketChange.old_value)
    shown = [
        value.startswith(f"{kind.value}{mark}", autoescape=True)
        for kind in visible
        for mark in (":", "/")
    ]
    return and_(TicketChange.field == Field.RELATED.value, not_(or_(*shown)))


def _record(
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    now: datetime,
    old: str | None,
    new: str | None,
) -> None:
    history.record_change(
        session=session,
        ticket=ticket,
        field=Field.RELATED,
        old=old,
        new=new,
        actor=viewer.user_id,
        now=now,
    )
    ticket.updated_at = now


def add_item(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    item: RelatedInput,
    enabled: Collection[RelatedKind],
    now: datetime,
) -> RelatedItem:
    if not can_see(viewer, ticket):
        raise NotFound(_("Ticket #{number} was not found.").format(number=ticket.number))
    if item.kind not in enabled:
        raise InvalidInput(
            _("{kind} items are switched off here.").format(kind=label(item.kind)), field="title"
        )
    if not can_add_related(viewer, ticket, item.kind):
        if item.kind is RelatedKind.DOCUMENT:
            raise Forbidden(_("You can add documents only to tickets you raised."))
        raise Forbidden(
            _("Only agents can add {kind} items.").format(kind=label(item.kind).lower())
        )
    row = RelatedItem(
        ticket_id=ticket.id,
        kind=item.kind.value,
        title=item.title,
        reference=item.reference,
        url=item.url,
        details=item.details,
        amount_cents=item.amount_cents,
        currency=item.currency,
        due_on=item.due_on,
        minutes=item.minutes,
        worked_on=item.worked_on,
        worker_id=item.worker_id,
        slack_file_id=item.slack_file_id,
        created_by=viewer.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, ticket, viewer, now, None, history_value(row))
    return row


def _own_item(
    session: Session, ticket: Ticket, viewer: Viewer, item_id: int, enabled: Collection[str]
) -> RelatedItem:
    if not can_see(viewer, ticket):
        raise NotFound(_("Ticket #{number} was not found.").format(number=ticket.number))
    row = session.get(RelatedItem, item_id, with_for_update=True)
    visible = {k.value for k in related_kinds_for(viewer, RelatedKind, ticket)}
    if row is None or row.ticket_id != ticket.id or row.kind not in visible & set(enabled):
        raise NotFound(_("That item is no longer on ticket #{n}.").format(n=ticket.number))
    if not can_manage_related(viewer, ticket):
        raise Forbidden(_("Only agents can close or remove related items."))
    return row


def close_item(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    item_id: int,
    enabled: Collection[RelatedKind],
    now: datetime,
) -> bool:
    """Close an activity: it moves to the activity history. False when already closed."""
    row = _own_item(session, ticket, viewer, item_id, {k.value for k in enabled})
    if row.kind != RelatedKind.ACTIVITY:
        raise InvalidInput(_("Only activities can be closed."))
    if row.closed_at is not None:
        return False
    before = history_value(row)
    row.closed_at = now
    _record(session, ticket, viewer, now, before, history_value(row))
    return True


def remove_item(
    *,
    session: Session,
    ticket: Ticket,
    viewer: Viewer,
    item_id: int,
    enabled: Collection[RelatedKind],
    now: datetime,
) -> None:
    row = _own_item(session, ticket, viewer, item_id, {k.value for k in enabled})
    _record(session, ticket, viewer, now, history_value(row), None)
    session.delete(row)


@dataclass(frozen=True)
class RelatedGroup:
    """One section of the Related modal: a kind, or the closed activities (the history)."""

    kind: RelatedKind
    done: bool
    items: list[RelatedItem]
    total: int


@dataclass(frozen=True)
class RelatedSummary:
    counts: dict[RelatedKind, int] = field(default_factory=dict)
    open_activities: int = 0
    minutes: int = 0  # time spent, from the timesheets
    expenses: dict[str, int] = field(default_factory=dict)  # cents per currency

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# Whether an item is done (closed activities); no bound parameter, so a GROUP BY can repeat it.
_CLOSED = RelatedItem.closed_at.is_not(None)

# Built once: constructing a statement costs more CPU than running this one, and the card
# asks for it on every change. Items without an amount or minutes add nothing to the sums.
_SUMMARY = (
    select(
        RelatedItem.kind,
        _CLOSED,
        RelatedItem.currency,
        func.count(),
        func.sum(RelatedItem.minutes),
        func.sum(RelatedItem.amount_cents),
    )
    .where(
        RelatedItem.ticket_id == bindparam("ticket_id"),
        RelatedItem.kind.in_(bindparam("kinds", expanding=True)),
    )
    .group_by(RelatedItem.kind, _CLOSED, RelatedItem.currency)
)


def summary(*, session: Session, ticket: Ticket, kinds: Iterable[RelatedKind]) -> RelatedSummary:
    """Counts per kind, open activities, time spent and expenses, in one grouped query."""
    wanted = [k.value for k in kinds]
    if not wanted:
        return RelatedSummary()
    counts: dict[RelatedKind, int] = {}
    open_activities = minutes = 0
    expenses: dict[str, int] = {}
    rows = session.execute(_SUMMARY, {"ticket_id": ticket.id, "kinds": wanted})
    for kind, closed, currency, count, spent, cents in rows:
        kind = RelatedKind(kind)
        counts[kind] = counts.get(kind, 0) + count
        if kind is RelatedKind.ACTIVITY and not closed:
            open_activities += count
        elif kind is RelatedKind.TIMESHEET:
            minutes += int(spent or 0)
        elif kind is RelatedKind.EXPENSE and cents is not None:
            expenses[currency] = expenses.get(currency, 0) + int(cents)
    ordered = {k: counts[k] for k in RelatedKind if k in counts}
    by_currency = dict(sorted(expenses.items(), key=lambda e: e[0] or ""))
    return RelatedSummary(ordered, open_activities, minutes, by_currency)


def groups(
    *, session: Session, ticket: Ticket, kinds: Iterable[RelatedKind], limit: int = FETCH_PER_GROUP
) -> list[RelatedGroup]:
    """Items by kind (open activities, then the activity history), at most `limit` each."""
    wanted = [k.value for k in kinds]
    if not wanted:
        return []
    done = _CLOSED
    rank = (
        func.row_number()
        .over(
            partition_by=(RelatedItem.kind, done),
            # Open activities by due date; closed ones and other kinds newest first.
            order_by=(
                RelatedItem.closed_at.desc(),
                RelatedItem.due_on.is_(None),
                RelatedItem.due_on,
                RelatedItem.id.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(RelatedItem.id, rank, done.label("done"))
        .where(RelatedItem.ticket_id == ticket.id, RelatedItem.kind.in_(wanted))
        .subquery()
    )
    rows = session.execute(
        select(RelatedItem, ranked.c.done)
        .join(ranked, ranked.c.id == RelatedItem.id)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.done, ranked.c.rank)
    ).all()
    totals = {
        (kind, bool(closed)): count
        for kind, closed, count in session.execute(
            select(RelatedItem.kind, done, func.count())
            .where(RelatedItem.ticket_id == ticket.id, RelatedItem.kind.in_(wanted))
            .group_by(RelatedItem.kind, done)
        )
    }
    found: dict[tuple[str, bool], list[RelatedItem]] = {}
    for item, closed in rows:
        found.setdefault((item.kind, bool(closed)), []).append(item)
    listed = []
    for kind in RelatedKind:
        for closed in (False, True):
            if (kind.value, closed) in totals:
                key = (kind.value, closed)
                listed.append(RelatedGroup(kind, closed, found.get(key, []), totals[key]))
    return listed
