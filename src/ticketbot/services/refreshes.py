"""Which tickets' Slack messages still have to show their latest state: the card outbox and
the status outbox (the requester's status message), worked alike.

Every change marks its ticket's card (and status message) in the change's own transaction,
so what a person did is shown in Slack even when the process dies right after answering
them: one row per ticket and message, however many changes come (a card changed five times
in a second is rendered once or twice, as it is then). The deliverer (jobs/cards.py) claims
marked rows, renders each message as its ticket is at that moment, and clears the row under
its claim.

Marking again drops any claim on the row and makes it due at once: a delivery that was in
flight meanwhile (showing an older state) then cannot clear it, and the latest state follows.
A new ticket's messages are posted by the request that raised it; their rows are marked
already claimed by that request (`claim`), for `lease`, after which the deliverer takes over
if the request never got to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, update
from sqlalchemy.orm import Session

from ticketbot.failures import retry_delay
from ticketbot.store.models import CardRefresh, StatusRefresh, Ticket

PENDING = "pending"
Refresh = type[CardRefresh] | type[StatusRefresh]


_COLUMNS = ("ticket_id", "state", "attempts", "last_error", "claim_token", "available_at")


@cache
def _upsert_statement(model: Refresh, dialect: str):
    """INSERT ... ON CONFLICT (ticket_id) DO UPDATE of a refresh row, built once per outbox
    and dialect: every change runs it, and building and keying the statement anew each time
    cost more than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model.__table__).values(
        {name: bindparam("id" if name == "ticket_id" else name) for name in _COLUMNS}
    )
    return statement.on_conflict_do_update(
        index_elements=["ticket_id"],
        set_={name: statement.excluded[name] for name in _COLUMNS if name != "ticket_id"},
    )


def _upsert(session: Session, model: Refresh, values: dict) -> None:
    # On the session's connection: a plain statement, without the ORM's bulk-insert path.
    connection = session.connection()
    connection.execute(_upsert_statement(model, connection.dialect.name), values)


def mark(
    *,
    session: Session,
    model: Refresh,
    ticket_id: int,
    now: datetime,
    reason: str | None = None,
    claim: str | None = None,
    lease: timedelta = timedelta(0),
) -> None:
    """The ticket's card (CardRefresh) or status message (StatusRefresh) must be rendered
    again. `reason`: why the attempt just made failed; it counts as the first, and the next
    comes after the outboxes' backoff."""
    _upsert(session, model, _marked(ticket_id, now, reason=reason, claim=claim, lease=lease))


def _marked(
    ticket_id: int,
    now: datetime,
    *,
    reason: str | None = None,
    claim: str | None = None,
    lease: timedelta = timedelta(0),
) -> dict:
    """A marked row's values: due at once (after `lease`), unclaimed unless `claim`."""
    if reason:
        lease = max(lease, retry_delay(1))
    return {
        "id": ticket_id,
        "state": PENDING,
        "attempts": 1 if reason else 0,
        "last_error": reason[:200] if reason else None,
        "claim_token": claim,
        "available_at": now + lease,
    }


def mark_card(*, session: Session, ticket_id: int, now: datetime, **options) -> None:
    mark(session=session, model=CardRefresh, ticket_id=ticket_id, now=now, **options)


def mark_status(*, session: Session, ticket_id: int, now: datetime, **options) -> None:
    mark(session=session, model=StatusRefresh, ticket_id=ticket_id, now=now, **options)


@cache
def _remark_statement(model: Refresh):
    """UPDATE of a refresh row that exists, to what `mark` writes (the same parameters as the
    upsert): marks again a message on its way, and nothing for a ticket that has none."""
    table = model.__table__
    return (
        update(table)
        .where(table.c.ticket_id == bindparam("id"))
        .values({name: bindparam(name) for name in _COLUMNS if name != "ticket_id"})
    )


def _marking(model: Refresh, shown: bool, dialect: str):
    """A shown message (it has a ts) is marked whatever its row; one without a ts only while
    its row waits (it is on its way), without reading that row first."""
    return _upsert_statement(model, dialect) if shown else _remark_statement(model)


@cache
def _both_statement(card_shown: bool, status_shown: bool):
    """PostgreSQL: the card's marking and the status message's in one statement (the first as
    a data-modifying WITH), so one round trip to the server instead of two."""
    card = _marking(CardRefresh, card_shown, "postgresql").cte("card_marked")
    return _marking(StatusRefresh, status_shown, "postgresql").add_cte(card)


def _refresh(session: Session, model: Refresh, ticket: Ticket, shown_at, now) -> None:
    connection = session.connection()
    statement = _marking(model, shown_at is not None, connection.dialect.name)
    connection.execute(statement, _marked(ticket.id, now))


def refresh_card(*, session: Session, ticket: Ticket, now: datetime) -> None:
    """After a change: the card must show it, if the ticket has a card or one on its way (a
    ticket raised moments ago whose card is being posted). Tickets never shown in Slack (made
    from the command line) get none."""
    _refresh(session, CardRefresh, ticket, ticket.card_ts, now)


def refresh_status(*, session: Session, ticket: Ticket, now: datetime) -> None:
    """After a change the requester may see: their status message must show it."""
    _refresh(session, StatusRefresh, ticket, ticket.status_ts, now)


def refresh_views(*, session: Session, ticket: Ticket, now: datetime) -> None:
    """Both the card and the status message follow the change."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":  # SQLite has no data-modifying WITH
        refresh_card(session=session, ticket=ticket, now=now)
        refresh_status(session=session, ticket=ticket, now=now)
        return
    statement = _both_statement(ticket.card_ts is not None, ticket.status_ts is not None)
    connection.execute(statement, _marked(ticket.id, now))


def shown(*, session: Session, model: Refresh, ticket_id: int, claim: str) -> bool:
    """The message shows the ticket as it was when `claim` was taken: done, unless the ticket
    was marked again since (then the row stays, due, for its next delivery)."""
    result = session.execute(
        delete(model).where(model.ticket_id == ticket_id, model.claim_token == claim)
    )
    return bool(result.rowcount)


def card_shown(*, session: Session, ticket_id: int, claim: str) -> bool:
    return shown(session=session, model=CardRefresh, ticket_id=ticket_id, claim=claim)
