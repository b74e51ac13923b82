"""Which rows the retention purge deletes: finished outbox rows older than the retention, event
ids older than two days; never pending work, never a young row, never the warnings that stop
an open ticket's current deadline from being warned about twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.factories import AGENT, make_ticket
from ticketbot.services.alert_plan import plan_alerts
from ticketbot.services.inputs import TicketEdit, validate
from ticketbot.services.retention import PURGEABLE, purge_batch
from ticketbot.services.tickets import change_status, edit_ticket
from ticketbot.store.models import (
    CardRefresh,
    OutgoingMessage,
    ProcessedEvent,
    SlaAlert,
    StatusRefresh,
    Ticket,
    WebhookDelivery,
)
from ticketbot.vocabulary import Status

DAY = timedelta(days=1)
RETENTION = 30 * DAY
EVERYTHING = 10_000


def purge(database, now) -> dict[str, int]:
    purged = {}
    for kind in PURGEABLE:
        with database.transaction() as session:
            purged[kind.name] = purge_batch(
                session=session, kind=kind, now=now, retention=RETENTION, limit=EVERYTHING
            )
    return purged


def alert(ticket, label: str, state: str, *, created, sent=None, kind="warning", deadline=None):
    """A deadline warning of `ticket`, told apart by `label` (its target)."""
    return SlaAlert(
        ticket_id=ticket.id,
        kind=kind,
        step=75,
        deadline=deadline or ticket.created_at - 90 * DAY,  # an old deadline, not the current
        target=label,
        notify_at=created,
        available_at=created,
        state=state,
        attempts=1,
        created_at=created,
        sent_at=sent,
    )


def delivery(label: str, state: str, *, created, delivered=None) -> WebhookDelivery:
    return WebhookDelivery(
        delivery_id=label,
        url="https://hooks.example.com/ticketbot",
        event="ticket.created",
        payload="{}",
        state=state,
        attempts=1,
        available_at=created,
        created_at=created,
        delivered_at=delivered,
    )


def remaining(session, column) -> set:
    return set(session.scalars(select(column)))


def test_old_finished_rows_go_young_and_pending_ones_stay(database, clock, policy):
    now = clock.now() + 100 * DAY
    old, young = now - RETENTION - DAY, now - RETENTION + DAY
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        cards = [make_ticket(session, policy=policy, now=clock.now()) for _ in range(3)]
        planned = remaining(session, SlaAlert.id)  # pending, for the current deadlines
        session.add_all(
            [
                # A sent warning counts from when it was sent, however long ago it was raised.
                alert(ticket, "sent old", "sent", created=old - 9 * DAY, sent=old),
                alert(ticket, "sent young", "sent", created=old - 9 * DAY, sent=young),
                alert(ticket, "cancelled old", "cancelled", created=old),
                alert(ticket, "cancelled young", "cancelled", created=young),
                alert(ticket, "superseded old", "superseded", created=old),
                alert(ticket, "superseded young", "superseded", created=young),
                alert(ticket, "failed old", "failed", created=old),
                alert(ticket, "failed young", "failed", created=young),
                alert(ticket, "pending old", "pending", created=old - 90 * DAY),
                delivery("delivered old", "delivered", created=old - 9 * DAY, delivered=old),
                delivery("delivered young", "delivered", created=old - 9 * DAY, delivered=young),
                delivery("failed old", "failed", created=old),
                delivery("failed young", "failed", created=young),
                delivery("pending old", "pending", created=old - 90 * DAY),
                CardRefresh(ticket_id=cards[0].id, state="failed", available_at=old),
                CardRefresh(ticket_id=cards[1].id, state="failed", available_at=young),
                CardRefresh(ticket_id=cards[2].id, state="pending", available_at=old - 90 * DAY),
                # Event ids keep their two days, whatever the retention.
                ProcessedEvent(event_id="Ev10DAYS", received_at=now - 10 * DAY),
                ProcessedEvent(event_id="Ev3DAYS", received_at=now - 3 * DAY),
                ProcessedEvent(event_id="Ev1DAY", received_at=now - DAY),
            ]
        )

    assert purge(database, now) == {
        "sla_alerts": 4,
        "webhook_deliveries": 2,
        "card_refreshes": 1,
        "status_refreshes": 0,
        "outgoing_messages": 0,
        "processed_events": 2,
    }
    with database.transaction() as session:
        assert session.scalars(
            select(SlaAlert.target).where(SlaAlert.id.not_in(planned)).order_by(SlaAlert.id)
        ).all() == ["sent young", "cancelled young", "superseded young", "failed young",
                    "pending old"]  # fmt: skip
        assert remaining(session, SlaAlert.id) >= planned
        assert set(session.scalars(select(SlaAlert.state).where(SlaAlert.id.in_(planned)))) == {
            "pending"
        }
        assert remaining(session, WebhookDelivery.delivery_id) == {
            "delivered young", "failed young", "pending old",
        }  # fmt: skip
        assert remaining(session, CardRefresh.ticket_id) == {cards[1].id, cards[2].id}
        assert remaining(session, ProcessedEvent.event_id) == {"Ev1DAY"}
    assert set(purge(database, now).values()) == {0}


def test_the_warnings_of_an_open_tickets_deadline_stay_so_none_is_posted_twice(
    database, clock, policy
):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now(), priority="urgent")
        planned = session.scalars(select(SlaAlert).where(SlaAlert.ticket_id == ticket.id)).all()
        assert sorted(a.kind for a in planned) == ["breach", "warning"]
        for row in planned:  # posted on time, weeks ago
            row.state, row.sent_at = "sent", row.notify_at
        session.add(
            alert(ticket, "channel", "sent", kind="escalation", deadline=ticket.due_at,
                  created=ticket.due_at, sent=ticket.due_at + timedelta(hours=4))
        )  # fmt: skip
    clock.advance(60 * DAY)  # still open, long overdue

    assert purge(database, clock.now())["sla_alerts"] == 1  # the escalation alone
    with database.transaction() as session:
        ticket = session.get(Ticket, ticket.id)
        # Saving the edit form (a new title, the same priority) plans the deadline again:
        # its warning and breach are there, sent, so nothing is due to be posted again.
        edit = validate(TicketEdit, {"title": "Still jammed", "priority": "urgent"})
        edit_ticket(
            session=session, ticket=ticket, edit=edit, viewer=AGENT, now=clock.now(),
            policy=policy,
        )  # fmt: skip
        plan_alerts(session=session, ticket=ticket, policy=policy, now=clock.now())  # and again
        states = session.scalars(select(SlaAlert.state).where(SlaAlert.ticket_id == ticket.id))
        assert sorted(states) == ["sent", "sent"]

    with database.transaction() as session:
        ticket = session.get(Ticket, ticket.id)
        change_status(
            session=session, ticket=ticket, status=Status.CLOSED, viewer=AGENT,
            now=clock.now(), policy=policy, solution="Replaced the roller.",
        )  # fmt: skip
    # Closed, its deadline can come back no more (reopening restarts the clock): they go.
    assert purge(database, clock.now())["sla_alerts"] == 2
    with database.transaction() as session:
        assert remaining(session, SlaAlert.id) == set()


def test_a_warning_of_a_deadline_the_ticket_no_longer_has_goes(database, clock, policy):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now(), priority="low")
        for row in session.scalars(select(SlaAlert)):
            row.state, row.sent_at = "sent", clock.now()
    clock.advance(40 * DAY)
    with database.transaction() as session:
        ticket = session.get(Ticket, ticket.id)
        edit = validate(TicketEdit, {"priority": "urgent"})  # a new deadline, already past
        edit_ticket(
            session=session, ticket=ticket, edit=edit, viewer=AGENT, now=clock.now(),
            policy=policy,
        )  # fmt: skip
        assert {a.state for a in session.scalars(select(SlaAlert))} == {"sent", "pending"}

    assert purge(database, clock.now())["sla_alerts"] == 2  # the old deadline's two
    with database.transaction() as session:
        assert {a.deadline for a in session.scalars(select(SlaAlert))} == {ticket.due_at}


def message(ticket, label: str, state: str, *, created, sent=None, edits=None):
    return OutgoingMessage(
        ticket_id=ticket.id, kind="edit" if edits else "relay", channel="@card",
        message={"text": label}, state=state, available_at=created, attempts=0,
        created_at=created, sent_at=sent, edits_id=edits.id if edits else None,
    )  # fmt: skip


def test_messages_and_status_refreshes_go_once_finished_and_old(database, clock, policy):
    now = clock.now() + 100 * DAY
    old, young = now - RETENTION - DAY, now - RETENTION + DAY
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        others = [make_ticket(session, policy=policy, now=clock.now()) for _ in range(2)]
        sent_old = message(ticket, "sent old", "sent", created=old - 9 * DAY, sent=old)
        edited_old = message(ticket, "edited old", "sent", created=old - 9 * DAY, sent=old)
        session.add_all([sent_old, edited_old])
        session.flush()
        session.add_all(
            [
                message(ticket, "sent young", "sent", created=old - 9 * DAY, sent=young),
                message(ticket, "failed old", "failed", created=old),
                message(ticket, "cancelled old", "cancelled", created=old),
                message(ticket, "pending old", "pending", created=old - 90 * DAY),
                # An edit still to apply keeps the copy it edits (and itself).
                message(ticket, "edit pending", "pending", created=old, edits=edited_old),
                StatusRefresh(ticket_id=others[0].id, state="failed", available_at=old),
                StatusRefresh(ticket_id=others[1].id, state="pending", available_at=old),
            ]
        )
    purged = purge(database, now)
    assert (purged["outgoing_messages"], purged["status_refreshes"]) == (3, 1)
    with database.transaction() as session:
        left = session.scalars(select(OutgoingMessage.message)).all()
        assert sorted(m["text"] for m in left) == [
            "edit pending", "edited old", "pending old", "sent young",
        ]  # fmt: skip
        assert remaining(session, StatusRefresh.ticket_id) == {others[1].id}
