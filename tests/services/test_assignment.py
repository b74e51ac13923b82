"""Round robin and least open across replicas: each replica its own engine, tickets raised
at the same moment, every ticket one assignee, the turns shared out exactly."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.support.factories import AGENT, make_ticket
from ticketbot.config import Queue
from ticketbot.services import tickets
from ticketbot.services.queues import next_assignee, set_away
from ticketbot.store.db import Database
from ticketbot.store.models import QueueTurn, Ticket, TicketChange

AGENTS = ["U0AGT0001", "U0AGT0002", "U0AGT0003"]
REPLICAS, PER_REPLICA = 6, 5


def _queue(assign: str) -> Queue:
    return Queue(key="it", name="IT", request_channels=(), triage_channel="C0IT", agents=(),
                 categories=(), products=(), sla=None, assign=assign)  # fmt: skip


def _raise_and_assign(database_url, policy, clock, queue, barrier):
    own = Database(database_url)  # each thread its own engine, as replicas have
    barrier.wait()
    given = []
    for _ in range(PER_REPLICA):
        with own.transaction() as session:
            ticket = make_ticket(session, policy=policy, now=clock.now())
            chosen = next_assignee(session=session, workspace_id=ticket.workspace_id,
                                   queue=queue, agents=AGENTS, now=clock.now())  # fmt: skip
            tickets.assign(session=session, ticket=ticket, assignee_id=chosen, viewer=AGENT,
                           now=clock.now())  # fmt: skip
            given.append(chosen)
    own.dispose()
    return given


@pytest.mark.parametrize("assign", ["round_robin", "least_open"])
def test_tickets_raised_at_once_on_many_replicas_share_the_turns_exactly(
    assign, database_url, database, clock, policy
):
    barrier = threading.Barrier(REPLICAS)
    with ThreadPoolExecutor(REPLICAS) as pool:
        runs = [pool.submit(_raise_and_assign, database_url, policy, clock, _queue(assign),
                            barrier) for _ in range(REPLICAS)]  # fmt: skip
        given = [agent for run in runs for agent in run.result()]
    total = REPLICAS * PER_REPLICA
    assert Counter(given) == {agent: total // len(AGENTS) for agent in AGENTS}
    with database.transaction() as session:
        assert session.scalar(select(func.count()).where(Ticket.assignee_id.is_(None))) == 0
        lines = session.scalar(select(func.count()).where(TicketChange.field == "assignee"))
        assert lines == total  # one assignment each, never two
        if assign == "round_robin":  # in turn: the last ticket's assignee holds the turn
            last = session.scalars(select(Ticket).order_by(Ticket.number.desc())).first()
            assert session.scalar(select(QueueTurn.last_assignee_id)) == last.assignee_id


def test_the_turn_survives_a_restart_and_skips_agents_away(database_url, database, clock):
    queue = _queue("round_robin")
    with database.transaction() as session:
        first = next_assignee(session=session, workspace_id="T0TEAM001", queue=queue,
                              agents=AGENTS, now=clock.now())  # fmt: skip
        set_away(session=session, workspace_id="T0TEAM001", user_id=AGENTS[1], away=True,
                 now=clock.now())  # fmt: skip
    restarted = Database(database_url)  # a new process: nothing in memory
    try:
        with restarted.transaction() as session:
            after = [next_assignee(session=session, workspace_id="T0TEAM001", queue=queue,
                                   agents=AGENTS, now=clock.now()) for _ in range(3)]  # fmt: skip
    finally:
        restarted.dispose()
    assert first == AGENTS[0]
    assert after == [AGENTS[2], AGENTS[0], AGENTS[2]]
    with database.transaction() as session:
        set_away(session=session, workspace_id="T0TEAM001", user_id=AGENTS[1], away=False,
                 now=clock.now())  # fmt: skip
        set_away(session=session, workspace_id="T0TEAM001", user_id=AGENTS[0], away=True,
                 now=clock.now())  # fmt: skip
        set_away(session=session, workspace_id="T0TEAM001", user_id=AGENTS[2], away=True,
                 now=clock.now())  # fmt: skip
        assert next_assignee(session=session, workspace_id="T0TEAM001", queue=queue,
                             agents=AGENTS, now=clock.now()) == AGENTS[1]  # fmt: skip
        set_away(session=session, workspace_id="T0TEAM001", user_id=AGENTS[1], away=True,
                 now=clock.now())  # fmt: skip
        assert next_assignee(session=session, workspace_id="T0TEAM001", queue=queue,
                             agents=AGENTS, now=clock.now()) is None  # everyone away
