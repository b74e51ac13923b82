"""Counting the SQL statements of an interaction on a ticket with a long or short history:
shared by the statement-count test and benchmarks/sql_statements.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import select

from tests.support.sql_counter import add_history, statements
from tests.support.steps import (
    AGENT,
    choose,
    command,
    create_ticket,
    opened,
    texts,
    ticket,
)
from ticketbot.ids import ActionId
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Status

SHORT, LONG = 5, 500
Counted = Callable[[], AbstractContextManager[None]]


def _ticket_with_history(slack, changes: int) -> int:
    number = create_ticket(slack, f"Printer with {changes} changes")
    with slack.database.transaction() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        add_history(session, found, changes=changes, now=slack.clock.now())
    slack.settle()
    return number


def _on_card(slack, number: int, action_id: str, **chosen) -> Callable[[], Any]:
    """Read the card as Slack holds it first, so only the app's own statements count."""
    card = slack.card(number)
    block = next(b for b in card["blocks"] if b.get("type") == "actions")
    action = {"action_id": action_id, "block_id": block["block_id"], **chosen}
    return lambda: slack.send.block_actions(
        [action], user_id=AGENT, channel_id=card["channel"], message=card
    )


def _status(slack, number: int, changes: int, counted: Counted) -> None:
    click = _on_card(slack, number, ActionId.STATUS, **choose("in_progress"))
    before = len(slack.fake.calls("chat.update"))
    with counted():
        assert click().status_code == 200
        slack.fake.wait_for("chat.update", before + 1)
        slack.settle()
    assert ticket(slack, number).status is Status.IN_PROGRESS


def _history(slack, number: int, changes: int, counted: Counted) -> None:
    click = _on_card(slack, number, ActionId.HISTORY)
    with counted():
        view = opened(slack, click)
        slack.settle()
    # 40 entries a page: 5 changes and a comment fit on one, 500 and 100 take 15.
    pages = -(-(changes + changes // 5) // 40)
    assert (f"Page 1 of {pages}" in texts(view)) is (pages > 1)


def _show(slack, number: int, changes: int, counted: Counted) -> None:
    with counted():
        answer = command(slack, f"show {number}", user_id=AGENT)
        slack.settle()
    assert answer["text"] == f"#{number} Printer with {changes} changes"


def cost(slack, interaction, number: int, changes: int) -> list[str]:
    """The statements the app ran for one interaction (the test's own reads excluded)."""
    seen: list[str] = []

    @contextmanager
    def counted() -> Iterator[None]:
        slack.settle()
        with statements(slack.database.engine) as during:
            yield
        seen.extend(during)

    interaction(slack, number, changes, counted)
    return seen


INTERACTIONS = {"status change": _status, "History modal": _history, "/ticket show": _show}
