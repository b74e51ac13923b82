"""The rights matrix: every action, every role, public and internal tickets.

Actions go the way handlers run them: find the ticket as the viewer, then act. A ticket the
viewer may not see is NotFound (never confirmed to exist); one they may see but not work is
Forbidden; nothing changes in either case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import ADMIN, AGENT, OTHER_REQUESTER, REQUESTER, WORKSPACE, make_ticket
from ticketbot.services import comments, links, tickets
from ticketbot.services.errors import Forbidden, NotFound
from ticketbot.services.finder import Scope, list_tickets, search_tickets
from ticketbot.services.inputs import TicketEdit
from ticketbot.store.models import Comment, ConversationLink, TicketChange
from ticketbot.vocabulary import Priority, Status

ROLES = {"owner": REQUESTER, "other requester": OTHER_REQUESTER, "agent": AGENT, "admin": ADMIN}


def _status(s, t, viewer, now, policy):
    tickets.change_status(
        session=s, ticket=t, status=Status.IN_PROGRESS, viewer=viewer, now=now, policy=policy
    )


def _close(s, t, viewer, now, policy):
    tickets.change_status(
        session=s,
        ticket=t,
        status=Status.CLOSED,
        solution="done",
        viewer=viewer,
        now=now,
        policy=policy,
    )


def _edit(s, t, viewer, now, policy):
    tickets.edit_ticket(
        session=s,
        ticket=t,
        edit=TicketEdit(priority=Priority.HIGH),
        viewer=viewer,
        now=now,
        policy=policy,
    )


def _assign(s, t, viewer, now, policy):
    tickets.assign(session=s, ticket=t, assignee_id="U0AGT0002", viewer=viewer, now=now)


def _comment(s, t, viewer, now, policy):
    comments.add_comment(session=s, ticket=t, viewer=viewer, text="hello", now=now)


def _link(s, t, viewer, now, policy):
    links.link_conversation(
        session=s,
        ticket=t,
        viewer=viewer,
        channel_id="C1",
        message_ts="1.1",
        permalink=None,
        now=now,
    )


ACTIONS = {
    "status": _status,
    "close": _close,
    "edit": _edit,
    "assign": _assign,
    "comment": _comment,
    "link": _link,
}
# What each role may do on a ticket raised by "owner". Seeing comes first.
ALLOWED = {
    ("public", "owner"): set(ACTIONS),
    ("public", "other requester"): {"comment", "link"},
    ("public", "agent"): set(ACTIONS),
    ("public", "admin"): set(ACTIONS),
    ("internal", "owner"): set(ACTIONS),
    ("internal", "other requester"): set(),
    ("internal", "agent"): set(ACTIONS),
    ("internal", "admin"): set(ACTIONS),
}
CASES = [(v, r, a) for (v, r) in ALLOWED for a in ACTIONS]


def _written(session) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(model))
        for model in (TicketChange, Comment, ConversationLink)
    )


@pytest.mark.parametrize(
    ("visibility", "role", "action"), CASES, ids=[f"{v}-{r}-{a}" for v, r, a in CASES]
)
def test_rights_matrix(database, clock, policy, visibility, role, action):
    with database.transaction() as s:
        make_ticket(s, policy=policy, now=clock.now(), visibility=visibility)
    viewer = ROLES[role]
    allowed = action in ALLOWED[(visibility, role)]
    may_see = visibility == "public" or role != "other requester"
    try:
        with database.transaction() as s:
            ticket = tickets.get_ticket(
                session=s, workspace_id=WORKSPACE, number=1, viewer=viewer, for_update=True
            )
            ACTIONS[action](s, ticket, viewer, clock.now(), policy)
        outcome = "done"
    except NotFound:
        outcome = "not found"
    except Forbidden:
        outcome = "forbidden"
    expected = "done" if allowed else ("forbidden" if may_see else "not found")
    assert outcome == expected
    with database.transaction() as s:
        assert (_written(s) > 0) == allowed


@pytest.mark.parametrize("role", list(ROLES))
def test_lists_and_search_never_reveal_internal_tickets(database, clock, policy, role):
    with database.transaction() as s:
        make_ticket(
            s, policy=policy, now=clock.now(), title="Payroll export", visibility="internal"
        )
        make_ticket(s, policy=policy, now=clock.now(), title="Payroll screen")
    viewer = ROLES[role]
    expected = [2] if role == "other requester" else [1, 2]
    with database.transaction() as s:
        for scope in Scope:
            found = list_tickets(session=s, workspace_id=WORKSPACE, viewer=viewer, scope=scope)
            assert 1 not in [t.number for t in found] or expected == [1, 2]
        searched = search_tickets(session=s, workspace_id=WORKSPACE, viewer=viewer, query="payroll")
        assert sorted(t.number for t in searched) == expected
        by_number = search_tickets(session=s, workspace_id=WORKSPACE, viewer=viewer, query="#1")
        assert [t.number for t in by_number] == ([] if expected == [2] else [1])
