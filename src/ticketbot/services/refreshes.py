"""Which Slack messages of a ticket still have to show its latest state.

A row of `card_refreshes` says the ticket's card missed a change (Slack refused or could not
be reached); the card catch-up (jobs/cards.py) renders it again as it is then. Marking a
ticket again resets its row: it is due now, and any claim on it is dropped, so a refresh that
was in flight meanwhile (showing an older state) does not clear it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ticketbot.store.models import CardRefresh

PENDING = "pending"


def card_missed(*, session: Session, ticket_id: int, reason: str, now: datetime) -> None:
    row = session.get(CardRefresh, ticket_id)
    if row is None:
        session.add(
            CardRefresh(
                ticket_id=ticket_id,
                state=PENDING,
                attempts=0,
                last_error=reason[:200],
                available_at=now,
            )
        )
        return
    row.state, row.claim_token, row.last_error = PENDING, None, reason[:200]
    row.attempts = 0
    row.available_at = now
