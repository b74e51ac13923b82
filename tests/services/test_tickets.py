"""The ticket services on both databases: rules, history lines, deadlines, locking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.factories import (
    AGENT,
    AGENT_2,
    OTHER_REQUESTER,
    REQUESTER,
    WORKSPACE,
    make_ticket,
)
from ticketbot.services import comments, history, links, tickets
from ticketbot.services.errors import Forbidden, InvalidInput, NotFound, StaleTicket
from ticketbot.services.inputs import TicketEdit, validate
from ticketbot.services.parties import find_or_create_party
from ticketbot.store.models import SearchTerm, Ticket, TicketChange
from ticketbot.vocabulary import Engagement, Field, PartyKind, Priority, Status, Visibility

H = timedelta(hours=1)


def test_create_numbers_and_deadline(database, clock, policy):
    with database.transaction() as session:
        first = make_ticket(session, policy=policy, now=clock.now(), priority="urgent")
        second = make_ticket(session, policy=policy, now=clock.now(), engagement="48h")
        other_team = make_ticket(session, policy=policy, now=clock.now(), workspace_id="T0OTHER01")
    assert (first.number, second.number, other_team.number) == (1, 2, 1)
    assert first.status is Status.OPEN and first.priority is Priority.URGENT
    assert first.due_at == clock.now() + 4 * H  # Standard resolves per priority: Urgent 4 h
    assert second.due_at == clock.now() + 48 * H
    assert first.version == 1


def test_create_refuses_bad_input_and_writes_nothing(database, clock, policy):
    for fields, message in [
        ({"title": "   "}, "Title is required."),
        ({"title": "x" * 201}, "Title must be at most 200 characters."),
        ({"title": "ok", "description": "d" * 3001}, "Description must be at most 3000"),
    ]:
        with pytest.raises(InvalidInput) as caught, database.transaction() as session:
            make_ticket(session, policy=policy, now=clock.now(), **fields)
        assert caught.value.message.startswith(message)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_title_is_trimmed_and_cleaned(database, clock, policy):
    with database.transaction() as session:
        ticket = make_ticket(
            session, policy=policy, now=clock.now(), title="  VPN \x00 down\n now "
        )
    assert ticket.title == "VPN down now"


def _history(database, ticket_id):
    with database.transaction() as session:
        return session.scalars(
            select(TicketChange)
            .where(TicketChange.ticket_id == ticket_id)
            .order_by(TicketChange.id)
        ).all()


def test_every_tracked_field_writes_one_history_line(database, clock, policy):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        party = find_or_create_party(
            session=session,
            workspace_id=WORKSPACE,
            kind=PartyKind.ACCOUNT,
            name="ACME",
            now=clock.now(),
        )
        ticket_id, party_id = ticket.id, party.id
    clock.advance(H)
    edit = validate(
        TicketEdit,
        {
            "title": "Printer jammed again",
            "description": "Paper tray 2",
            "solution": "Cleared",
            "priority": "high",
            "engagement": "8h",
            "category": "Hardware",
            "assignee_id": "U0AGT0002",
            "party_id": party_id,
            "product": "LaserJet",
            "visibility": "internal",
        },
    )
    with database.transaction() as session:
        ticket = tickets.get_ticket(
            session=session, workspace_id=WORKSPACE, number=1, viewer=AGENT, for_update=True
        )
        changes = tickets.edit_ticket(
            session=session,
            ticket=ticket,
            edit=edit,
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
            expected_version=1,
        )
    assert len(changes) == 10
    rows = _history(database, ticket_id)
    by_field = {row.field: row for row in rows}
    assert set(by_field) == {
        "title",
        "description",
        "solution",
        "priority",
        "engagement",
        "category",
        "assignee",
        "party",
        "product",
        "visibility",
    }
    assert (by_field["priority"].old_value, by_field["priority"].new_value) == ("normal", "high")
    assert by_field["party"].new_value == "account:ACME"
    assert by_field["assignee"].old_value is None
    assert all(row.actor_id == AGENT.user_id and row.at == clock.now() for row in rows)
    assert all(row.ticket_version == 2 for row in rows)
    with database.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.version == 2
        # The engagement changed to 8 hours, counted from creation.
        assert ticket.due_at == ticket.created_at + 8 * H


def test_editing_to_the_same_values_changes_nothing(database, clock, policy):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now(), priority="high")
        changes = tickets.edit_ticket(
            session=session,
            ticket=ticket,
            edit=TicketEdit(priority=Priority.HIGH),
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        assert changes == [] and ticket.version == 1


def test_status_changes_close_and_reopen(database, clock, policy):
    with database.transaction() as session:
        ticket = make_ticket(session, policy=policy, now=clock.now())
        ticket_id = ticket.id
    with pytest.raises(InvalidInput, match="solution is required"), database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.CLOSED,
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
    assert _history(database, ticket_id) == []

    clock.advance(2 * H)
    with database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        assert tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.CLOSED,
            solution="Replaced the roller",
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        assert ticket.closed_at == clock.now() and ticket.solution == "Replaced the roller"
        assert ticket.first_response_at == clock.now()
    clock.advance(H)
    with database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.OPEN,
            viewer=REQUESTER,
            now=clock.now(),
            policy=policy,
        )
        assert ticket.closed_at is None
        # Reopening restarts the engagement: Normal is 24 hours from now.
        assert ticket.due_at == clock.now() + 24 * H
    fields = [(r.field, r.old_value, r.new_value) for r in _history(database, ticket_id)]
    assert fields == [
        ("solution", None, "Replaced the roller"),
        ("status", "open", "closed"),
        ("status", "closed", "open"),
    ]


def test_double_click_on_the_same_status_is_one_change(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        for _ in range(2):
            tickets.change_status(
                session=s,
                ticket=ticket,
                status=Status.IN_PROGRESS,
                viewer=AGENT,
                now=clock.now(),
                policy=policy,
            )
        ticket_id = ticket.id
    assert len(_history(database, ticket_id)) == 1


def test_pause_pushes_the_deadline(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now(), engagement="8h")
        ticket_id = ticket.id
    clock.advance(2 * H)
    with database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.WAITING,
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        assert ticket.paused_at == clock.now()
    clock.advance(5 * H)
    with database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        assert ticket.paused_at is None and ticket.paused_seconds == 5 * 3600
        assert ticket.due_at == ticket.created_at + 13 * H


def test_stale_version_is_refused_with_what_changed(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            viewer=AGENT_2,
            now=clock.now(),
            policy=policy,
        )
        ticket_id = ticket.id
    with pytest.raises(StaleTicket) as caught, database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.edit_ticket(
            session=s,
            ticket=ticket,
            edit=TicketEdit(title="Mine"),
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
            expected_version=1,
        )
    assert "changed by someone else" in caught.value.message
    assert [(c.field, c.new_value, c.actor_id) for c in caught.value.changes] == [
        ("status", "in_progress", AGENT_2.user_id)
    ]
    with database.transaction() as s:
        assert s.get(Ticket, ticket_id).title == "Printer on floor 3 is jammed"


def test_requesters_cannot_change_other_peoples_tickets(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        ticket_id = ticket.id
    with pytest.raises(Forbidden), database.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        tickets.change_status(
            session=s,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            viewer=OTHER_REQUESTER,
            now=clock.now(),
            policy=policy,
        )
    with database.transaction() as s:
        assert s.get(Ticket, ticket_id).status is Status.OPEN


def test_internal_tickets_are_not_found_by_others(database, clock, policy):
    with database.transaction() as s:
        make_ticket(s, policy=policy, now=clock.now(), visibility="internal")
    with database.transaction() as s:
        for viewer in (REQUESTER, AGENT):
            got = tickets.get_ticket(session=s, workspace_id=WORKSPACE, number=1, viewer=viewer)
            assert got.visibility is Visibility.INTERNAL
        with pytest.raises(NotFound, match="#1 was not found"):
            tickets.get_ticket(session=s, workspace_id=WORKSPACE, number=1, viewer=OTHER_REQUESTER)


def test_assign_and_comment_set_first_response(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        comments.add_comment(
            session=s, ticket=ticket, viewer=REQUESTER, text="any news?", now=clock.now()
        )
        assert ticket.first_response_at is None
        clock.advance(H)
        tickets.assign(
            session=s, ticket=ticket, assignee_id=AGENT.user_id, viewer=AGENT, now=clock.now()
        )
        assert ticket.first_response_at == clock.now()
        rows = history.changes_page(session=s, ticket=ticket)[0]
        assert [(r.field, r.new_value) for r in rows] == [(Field.ASSIGNEE, AGENT.user_id)]


def test_comments_from_slack_are_stored_once_and_follow_edits(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        kwargs = dict(
            session=s,
            ticket=ticket,
            viewer=AGENT,
            now=clock.now(),
            slack_channel_id="C0SUPPORT1",
            slack_ts="1.2",
        )
        assert comments.add_comment(text="On it", **kwargs) is not None
        assert comments.add_comment(text="On it", **kwargs) is None  # retried event
        comments.edit_comment_from_slack(
            session=s, channel_id="C0SUPPORT1", ts="1.2", text="On it now", now=clock.now()
        )
        assert [c.text for c in comments.latest_comments(session=s, ticket=ticket)] == ["On it now"]
        comments.delete_comment_from_slack(
            session=s, channel_id="C0SUPPORT1", ts="1.2", now=clock.now()
        )
        assert comments.latest_comments(session=s, ticket=ticket) == []
        with pytest.raises(InvalidInput):
            comments.add_comment(
                session=s, ticket=ticket, viewer=AGENT, text=" \x00 ", now=clock.now()
            )


def test_link_conversation_once_with_history(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now())
        url = "https://test.slack.com/archives/C1/p123"
        assert links.link_conversation(
            session=s,
            ticket=ticket,
            viewer=AGENT,
            channel_id="C1",
            message_ts="1.23",
            permalink=url,
            now=clock.now(),
        )
        assert (
            links.link_conversation(
                session=s,
                ticket=ticket,
                viewer=AGENT,
                channel_id="C1",
                message_ts="1.23",
                permalink=url,
                now=clock.now(),
            )
            is None
        )
        assert [link.permalink for link in links.links_of(session=s, ticket=ticket)] == [url]
        rows = history.changes_page(session=s, ticket=ticket)[0]
        assert [(r.field, r.new_value) for r in rows] == [("link", url)]


def test_parties_are_unique_per_workspace_and_kind(database, clock):
    with database.transaction() as s:
        a = find_or_create_party(
            session=s,
            workspace_id=WORKSPACE,
            kind=PartyKind.ACCOUNT,
            name="Société Générale",
            now=clock.now(),
        )
        b = find_or_create_party(
            session=s,
            workspace_id=WORKSPACE,
            kind=PartyKind.ACCOUNT,
            name="  société   générale ",
            now=clock.now(),
        )
        c = find_or_create_party(
            session=s,
            workspace_id=WORKSPACE,
            kind=PartyKind.SUPPLIER,
            name="Société Générale",
            now=clock.now(),
        )
    assert a.id == b.id != c.id


def test_index_terms_follow_title_edits(database, clock, policy):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now(), title="Écran noir")
        tickets.edit_ticket(
            session=s,
            ticket=ticket,
            edit=TicketEdit(title="Clavier cassé"),
            viewer=AGENT,
            now=clock.now(),
            policy=policy,
        )
        words = set(s.scalars(select(SearchTerm.term).where(SearchTerm.ticket_id == ticket.id)))
    assert words == {"clavier", "casse"}


def test_engagement_values(policy):
    assert [e.hours for e in Engagement] == [None, 2, 4, 6, 8, 24, 48, 72]
