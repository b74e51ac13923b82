"""Which tickets' cards still have to show their latest state: the card outbox.

Every change marks its ticket's card in the change's own transaction, so what a person did is
shown in Slack even when the process dies right after answering them: a row of
`card_refreshes` per ticket, however many changes come (a card changed five times in a second
is rendered once or twice, as it is then). The card deliverer (jobs/cards.py) claims marked
rows, renders each card as its ticket is at that moment, and clears the row under its claim.

Marking again drops any claim on the row and makes it due at once: a delivery that was in
flight meanwhile (showing an older state) then cannot clear it, and the latest state follows.
A new ticket's card is posted by the request that raised it; its row is marked already claimed
by that request (`claim`), for `lease`, after which the deliverer takes over if the request
never got to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ticketbot.store.models import CardRefresh, Ticket

PENDING = "pending"


def _upsert(session: Session, values: dict) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(CardRefresh).values(**values)
    changed = {k: v for k, v in values.items() if k != "ticket_id"}
    session.execute(statement.on_conflict_do_update(index_elements=["ticket_id"], set_=changed))


def mark_card(
    *,
    session: Session,
    ticket_id: int,
    now: datetime,
    reason: str | None = None,
    claim: str | None = None,
    lease: timedelta = timedelta(0),
) -> None:
    """The ticket's card must be rendered again (`reason`: why the last attempt failed)."""
    _upsert(
        session,
        {
            "ticket_id": ticket_id,
            "state": PENDING,
            "attempts": 0,
            "last_error": reason[:200] if reason else None,
            "claim_token": claim,
            "available_at": now + lease,
        },
    )


def refresh_card(*, session: Session, ticket: Ticket, now: datetime) -> None:
    """After a change: the card must show it, if the ticket has a card or one on its way (a
    ticket raised moments ago whose card is being posted). Tickets never shown in Slack (made
    from the command line) get none."""
    if ticket.card_ts is not None or session.get(CardRefresh, ticket.id) is not None:
        mark_card(session=session, ticket_id=ticket.id, now=now)


def card_shown(*, session: Session, ticket_id: int, claim: str) -> bool:
    """The card shows the ticket as it was when `claim` was taken: done, unless the ticket was
    marked again since (then the row stays, due, for its next delivery)."""
    result = session.execute(
        delete(CardRefresh).where(
            CardRefresh.ticket_id == ticket_id, CardRefresh.claim_token == claim
        )
    )
    return bool(result.rowcount)
