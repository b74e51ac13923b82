"""A change marks the ticket's Slack messages to be shown again: a message with a ts always,
one without only while it is on its way (its row waits, claimed by the request posting it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.factories import make_ticket
from ticketbot.services.refreshes import PENDING, mark_card, mark_status, refresh_views
from ticketbot.store.models import CardRefresh, StatusRefresh


def rows(session, ticket_id: int) -> dict:
    found = {}
    for model in (CardRefresh, StatusRefresh):
        row = session.scalar(select(model).where(model.ticket_id == ticket_id))
        found[model.__name__] = (
            None if row is None else (row.state, row.claim_token, row.available_at)
        )
    return found


@pytest.mark.parametrize("card_ts", [None, "1700000000.000100"])
@pytest.mark.parametrize("status_ts", [None, "1700000000.000200"])
@pytest.mark.parametrize("on_its_way", [False, True])
def test_a_change_marks_what_is_shown_or_on_its_way(
    database, policy, clock, card_ts, status_ts, on_its_way
):
    now = clock.now()
    later = now + timedelta(minutes=5)
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=now)
        ticket.card_ts, ticket.status_ts = card_ts, status_ts
        if on_its_way:  # the request that raised it holds both rows for a minute
            mark_card(session=session, ticket_id=ticket.id, now=now, claim="raiser",
                      lease=timedelta(minutes=1))  # fmt: skip
            mark_status(session=session, ticket_id=ticket.id, now=now, claim="raiser",
                        lease=timedelta(minutes=1))  # fmt: skip
        session.flush()
        refresh_views(session=session, ticket=ticket, now=later)
    with database.transaction(read_only=True) as session:
        marked = rows(session, ticket.id)
    due = (PENDING, None, later)  # the claim dropped: the latest state follows at once
    assert marked["CardRefresh"] == (due if card_ts or on_its_way else None)
    assert marked["StatusRefresh"] == (due if status_ts or on_its_way else None)
