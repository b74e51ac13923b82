"""A queue that gives each new ticket to one of its agents: in turn (user groups resolved) or
to the least busy, skipping agents away; the bot's history line and its word to the
assignee, end to end from messages in a request channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.conversation import posts, said, say, written
from tests.support.scenario import start_scenario
from tests.support.slack_payloads import BOT_USER_ID
from tests.support.steps import ADMIN, AGENT, AGENT_2, OTHER, REQUESTER, changes, opened
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId
from ticketbot.store.models import Person, QueueTurn, Ticket
from ticketbot.vocabulary import Status

AGENT_3 = "U0AGT0003"
IT_HELP, IT_DESK, HR_HELP, HR_DESK = "C0ITHELP01", "C0ITDESK01", "C0HRHELP01", "C0HRDESK01"
GROUP = "S0ITTEAM01"
PEOPLE = [f"U0PEOPLE{n:02d}" for n in range(12)]


@pytest.fixture
def desks(database, fake_slack, clock):
    fake_slack.usergroups[GROUP] = [AGENT_3, AGENT_2]
    config = TicketbotConfig.model_validate(
        {
            "admins": [ADMIN],
            "queues": [
                {"name": "IT", "request_channels": [IT_HELP], "triage_channel": IT_DESK,
                 "agents": [AGENT, GROUP], "assign": "round_robin"},
                {"name": "HR", "request_channels": [HR_HELP], "triage_channel": HR_DESK,
                 "agents": [AGENT, AGENT_2], "assign": "least_open"},
            ],
        }
    )  # fmt: skip
    yield from start_scenario(database, fake_slack, clock, config)


def _raise(slack, channel: str, n: int, *, user: str | None = None) -> Ticket:
    ts = f"{1_700_000_000 + n * 1000}.000100"
    event = written(channel, user or PEOPLE[n], f"Request number {n}", ts, channel_type="channel")
    assert say(slack, event).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        return session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()


def _dms_to(slack, user_id: str) -> list[dict]:
    return posts(slack, "D" + user_id[1:])


def _home_away(slack, user_id: str) -> None:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:],
             "tab": "home"}  # fmt: skip
    home = opened(slack, lambda: slack.send.event(event), method="views.publish")
    press = opened(
        slack,
        lambda: slack.send.block_actions([{"action_id": ActionId.AWAY}], view=home,
                                         user_id=user_id),
        method="views.publish",
    )  # fmt: skip
    assert user_id == slack.fake.calls("views.publish")[-1].args["user_id"]
    return press


def test_round_robin_gives_each_new_ticket_to_the_next_agent(desks):
    slack = desks
    # The queue's order: AGENT, then the group's members (by user id, whatever Slack's order).
    assignees = [_raise(slack, IT_HELP, n).assignee_id for n in range(4)]
    assert assignees == [AGENT, AGENT_2, AGENT_3, AGENT]
    first = next(c for c in changes(slack) if c[0] == "assignee")
    assert first == ("assignee", None, AGENT, BOT_USER_ID)  # the bot did it
    [told] = _dms_to(slack, AGENT_3)
    assert "assigned you *#3* Request number 2" in said(told)
    with slack.database.transaction() as session:
        assert session.scalar(select(QueueTurn.last_assignee_id)) == AGENT


def test_an_agent_away_gets_no_ticket_and_no_message(desks):
    slack = desks
    home = _home_away(slack, AGENT_3)
    assert "You are away" in said(home) and "I am back" in said(home)
    assignees = [_raise(slack, IT_HELP, n).assignee_id for n in range(3)]
    assert assignees == [AGENT, AGENT_2, AGENT]  # AGENT_3 skipped
    # Nothing reaches them while away, not even a requester's reply on their ticket.
    with slack.database.transaction() as session:
        mine = session.scalars(select(Ticket).where(Ticket.number == 1)).one()
        mine.assignee_id = AGENT_3
    reply = written(IT_HELP, PEOPLE[0], "Any news?", "1700000500.000100",
                    thread_ts="1700000000.000100", channel_type="channel")  # fmt: skip
    assert say(slack, reply).status_code == 200
    slack.settle()
    assert _dms_to(slack, AGENT_3) == []

    back = _home_away(slack, AGENT_3)
    assert "I am away" in said(back)
    assert [_raise(slack, IT_HELP, n).assignee_id for n in (5, 6)] == [AGENT_2, AGENT_3]


def test_least_open_gives_the_ticket_to_the_least_busy_agent(desks):
    slack = desks
    assert _raise(slack, HR_HELP, 0).assignee_id == AGENT  # both have none: the queue's order
    assert _raise(slack, HR_HELP, 1).assignee_id == AGENT_2
    assert _raise(slack, HR_HELP, 2).assignee_id == AGENT
    with slack.database.transaction() as session:  # AGENT closes both of theirs
        for found in session.scalars(select(Ticket).where(Ticket.assignee_id == AGENT)):
            found.status = Status.CLOSED
    assert _raise(slack, HR_HELP, 3).assignee_id == AGENT
    assert _raise(slack, HR_HELP, 4).assignee_id == AGENT


def test_only_agents_switch_themselves_away(desks):
    slack = desks
    event = {"type": "app_home_opened", "user": OTHER, "channel": "D" + OTHER[1:], "tab": "home"}
    home = opened(slack, lambda: slack.send.event(event), method="views.publish")
    assert "I am away" not in said(home)
    forged = slack.send.block_actions(
        [{"action_id": ActionId.AWAY, "block_id": "x", "value": "away"}], channel_id="D0X",
        user_id=REQUESTER,
    )  # fmt: skip
    assert forged.status_code == 200
    slack.settle()
    [refused] = slack.fake.calls("response_url")
    assert "Only agents can set themselves away." in said(refused.args)
    with slack.database.transaction() as session:
        assert session.get(Person, ("T0TEAM001", REQUESTER)) is None
