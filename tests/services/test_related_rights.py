"""The rights matrix of related items and FAQ conversion: every action, every role, public
and internal tickets, run the way handlers run them (find the ticket as the viewer, then
act). Refusals write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import ADMIN, AGENT, OTHER_REQUESTER, REQUESTER, WORKSPACE, make_ticket
from ticketbot.services import faq, related, tickets
from ticketbot.services.access import related_kinds_for
from ticketbot.services.errors import Forbidden, NotFound
from ticketbot.services.related_input import parse_item
from ticketbot.store.models import FaqEntry, RelatedItem, TicketChange
from ticketbot.vocabulary import RelatedKind, Status

ROLES = {"owner": REQUESTER, "other requester": OTHER_REQUESTER, "agent": AGENT, "admin": ADMIN}
ALL = tuple(RelatedKind)
SEEDED = {  # items an agent put on the ticket beforehand
    RelatedKind.ACTIVITY: {"title": "Call the supplier"},
    RelatedKind.DOCUMENT: {"title": "Manual", "url": "https://docs.example.com/manual"},
    RelatedKind.EXPENSE: {"title": "Taxi", "amount": "12", "currency": "EUR"},
}


def _add(kind: RelatedKind, raw: dict):
    def act(s, ticket, viewer, now, items):
        related.add_item(
            session=s, ticket=ticket, viewer=viewer, item=parse_item(kind, raw), enabled=ALL,
            now=now,
        )  # fmt: skip

    return act


def _on(kind: RelatedKind, change):
    def act(s, ticket, viewer, now, items):
        change(session=s, ticket=ticket, viewer=viewer, item_id=items[kind], enabled=ALL, now=now)

    return act


def _convert(s, ticket, viewer, now, items):
    faq.convert_ticket(session=s, ticket=ticket, viewer=viewer, question="Q?", answer="A.", now=now)


ACTIONS = {
    "add document": _add(RelatedKind.DOCUMENT, {"title": "Photo", "url": "https://x.test/p"}),
    "add email": _add(RelatedKind.EMAIL, {"title": "Re: printer"}),
    "add expense": _add(RelatedKind.EXPENSE, {"title": "Toner", "amount": "40", "currency": "EUR"}),
    "add timesheet": _add(
        RelatedKind.TIMESHEET,
        {"title": "Fix", "minutes": "30", "worked_on": "2026-11-23", "worker_id": "U0AGT0001"},
    ),
    "close activity": _on(RelatedKind.ACTIVITY, related.close_item),
    "remove document": _on(RelatedKind.DOCUMENT, related.remove_item),
    "remove expense": _on(RelatedKind.EXPENSE, related.remove_item),
    "convert to faq": _convert,
}
AGENT_WORK = set(ACTIONS)
ALLOWED = {
    ("public", "owner"): {"add document"},
    ("public", "other requester"): set(),
    ("public", "agent"): AGENT_WORK,
    ("public", "admin"): AGENT_WORK,
    ("internal", "owner"): {"add document"},
    ("internal", "other requester"): set(),
    ("internal", "agent"): AGENT_WORK,
    ("internal", "admin"): AGENT_WORK,
}
# A requester acting on an item of a kind they cannot see is told it is not there.
HIDDEN_FROM_REQUESTERS = {"close activity", "remove expense"}
CASES = [(v, r, a) for (v, r) in ALLOWED for a in ACTIONS]


def _rows(session) -> tuple[int, ...]:
    """History lines, items and FAQ entries: every allowed action adds one history line."""
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (TicketChange, RelatedItem, FaqEntry)
    )


@pytest.mark.parametrize(
    ("visibility", "role", "action"), CASES, ids=[f"{v}-{r}-{a}" for v, r, a in CASES]
)
def test_related_rights_matrix(database, clock, policy, visibility, role, action):
    with database.transaction() as s:
        ticket = make_ticket(s, policy=policy, now=clock.now(), visibility=visibility)
        tickets.change_status(
            session=s, ticket=ticket, status=Status.CLOSED, solution="Reseated the tray.",
            viewer=AGENT, now=clock.now(), policy=policy,
        )  # fmt: skip
        items = {
            kind: related.add_item(
                session=s, ticket=ticket, viewer=AGENT, item=parse_item(kind, raw), enabled=ALL,
                now=clock.now(),
            ).id
            for kind, raw in SEEDED.items()
        }  # fmt: skip
    with database.transaction() as s:
        before = _rows(s)
    viewer = ROLES[role]
    allowed = action in ALLOWED[(visibility, role)]
    may_see = visibility == "public" or role != "other requester"
    try:
        with database.transaction() as s:
            found = tickets.get_ticket(
                session=s, workspace_id=WORKSPACE, number=1, viewer=viewer, for_update=True
            )
            ACTIONS[action](s, found, viewer, clock.now(), items)
        outcome = "done"
    except NotFound:
        outcome = "not found"
    except Forbidden:
        outcome = "forbidden"
    if allowed:
        expected = "done"
    elif not may_see or (not viewer.is_agent and action in HIDDEN_FROM_REQUESTERS):
        expected = "not found"
    else:
        expected = "forbidden"
    assert outcome == expected
    with database.transaction() as s:
        after = _rows(s)
    if allowed:
        assert after[0] == before[0] + 1
    else:
        assert after == before


@pytest.mark.parametrize("role", list(ROLES))
def test_who_sees_which_kinds(role):
    viewer = ROLES[role]
    seen = related_kinds_for(viewer, ALL)
    if viewer.is_agent:
        assert seen == ALL
    else:
        assert seen == (RelatedKind.DOCUMENT, RelatedKind.EMAIL)
    switched_off = tuple(k for k in ALL if k is not RelatedKind.EMAIL)
    assert RelatedKind.EMAIL not in related_kinds_for(viewer, switched_off)
