"""Outbound webhooks: each change queues its event in the change's own transaction (nothing
for a change that did not commit), only for the webhooks subscribed to it; and the config
that lists them. Delivery is in test_webhook_delivery.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.factories import AGENT, OTHER_REQUESTER, REQUESTER, make_ticket
from tests.support.webhooks import (
    HOOK,
    OPS,
    OPS_SECRET,
    SECRET,
    Desk,
    hook,
    mocked_http,
    webhook_config,
)
from ticketbot.config import Settings
from ticketbot.runtime import Runtime
from ticketbot.services import comments, emails, tickets
from ticketbot.services.errors import Forbidden
from ticketbot.services.inputs import TicketEdit
from ticketbot.store.models import WebhookDelivery
from ticketbot.vocabulary import Priority, Status


@pytest.fixture(autouse=True)
def http():
    with mocked_http() as mock:
        yield mock


@pytest.fixture
def desk(database, clock) -> Desk:
    return Desk(database, clock)


def _status(desk: Desk, status: Status, solution: str | None = None):
    return lambda s, t: tickets.change_status(
        session=s,
        ticket=t,
        status=status,
        solution=solution,
        viewer=AGENT,
        now=desk.clock.now(),
        policy=desk.runtime.policy,
        outbound=desk.outbound,
    )


# --- The outbox --------------------------------------------------------------------------------


def test_every_kind_of_change_queues_its_event_with_the_ticket_as_it_became(desk):
    ticket_id = desk.ticket(title="Printer jammed")
    desk.clock.advance(timedelta(minutes=5))
    desk.act(
        ticket_id,
        lambda s, t: tickets.edit_ticket(
            session=s,
            ticket=t,
            edit=TicketEdit(priority=Priority.HIGH),
            viewer=AGENT,
            now=desk.clock.now(),
            policy=desk.runtime.policy,
            outbound=desk.outbound,
        ),
    )
    desk.act(
        ticket_id,
        lambda s, t: tickets.assign(
            session=s,
            ticket=t,
            assignee_id="U0AGT0001",
            viewer=AGENT,
            now=desk.clock.now(),
            outbound=desk.outbound,
        ),
    )
    desk.act(ticket_id, _status(desk, Status.IN_PROGRESS))
    desk.act(
        ticket_id,
        lambda s, t: comments.add_comment(
            session=s,
            ticket=t,
            viewer=AGENT,
            text="On my way",
            files=[comments.SharedFile("boot-log.txt", "https://test.slack.com/files/U1/F1/b")],
            now=desk.clock.now(),
            outbound=desk.outbound,
        ),
    )
    desk.act(
        ticket_id,
        lambda s, t: emails.record_email(
            session=s,
            ticket=t,
            viewer=AGENT,
            draft=emails.validate_email(to="ada@example.com", subject="Hi", body="Hello"),
            message_id="<1@acme.com>",
            now=desk.clock.now(),
            outbound=desk.outbound,
        ),
    )
    desk.act(ticket_id, _status(desk, Status.CLOSED, solution="New roller"))
    desk.act(ticket_id, _status(desk, Status.OPEN))

    bodies = desk.bodies()
    assert [b["event"] for b in bodies] == [
        "ticket.created",
        "ticket.updated",
        "ticket.updated",
        "ticket.updated",
        "ticket.commented",
        "ticket.emailed",
        "ticket.closed",
        "ticket.reopened",
    ]
    assert [b["changes"] for b in bodies] == [
        [],
        [{"field": "priority", "old": "normal", "new": "high"}],
        [{"field": "assignee", "old": None, "new": "U0AGT0001"}],
        [{"field": "status", "old": "open", "new": "in_progress"}],
        [],
        [{"field": "email", "old": None, "new": "Hi\nada@example.com"}],
        [
            {"field": "solution", "old": None, "new": "New roller"},
            {"field": "status", "old": "in_progress", "new": "closed"},
        ],
        [{"field": "status", "old": "closed", "new": "open"}],
    ]
    created, edited = bodies[0], bodies[1]
    assert created["occurred_at"] == "2026-11-23T09:00:00Z"
    assert created["workspace_id"] == "T0TEAM001" and created["actor_id"] == "U0REQ0001"
    assert created["ticket"]["number"] == 1 and created["ticket"]["title"] == "Printer jammed"
    assert (created["ticket"]["status"], created["ticket"]["priority"]) == ("open", "normal")
    assert edited["occurred_at"] == "2026-11-23T09:05:00Z" and edited["actor_id"] == "U0AGT0001"
    assert edited["ticket"]["priority"] == "high" and edited["ticket"]["version"] == 2
    assert bodies[4]["comment"]["text"] == "On my way"
    assert bodies[4]["comment"]["files"] == [
        {"name": "boot-log.txt", "permalink": "https://test.slack.com/files/U1/F1/b"}
    ]
    assert bodies[5]["email"] == {
        "to": ["ada@example.com"],
        "subject": "Hi",
        "message_id": "<1@acme.com>",
    }
    assert bodies[6]["ticket"]["status"] == "closed" and bodies[6]["ticket"]["closed_at"]
    rows = desk.rows()
    assert [json.loads(r.payload)["delivery_id"] for r in rows] == [r.delivery_id for r in rows]
    assert len({r.delivery_id for r in rows}) == len(rows)
    assert {(r.state, r.attempts, r.url) for r in rows} == {("pending", 0, HOOK)}


def test_each_webhook_gets_only_the_events_it_subscribed_to(database, clock):
    desk = Desk(
        database,
        clock,
        hook(events=["ticket.created"]),
        hook(OPS, OPS_SECRET, events=["ticket.closed", "ticket.commented"]),
    )
    ticket_id = desk.ticket()
    desk.act(ticket_id, _status(desk, Status.IN_PROGRESS))
    desk.act(ticket_id, _status(desk, Status.CLOSED, solution="done"))
    assert [(r.url, r.event) for r in desk.rows()] == [
        (HOOK, "ticket.created"),
        (OPS, "ticket.closed"),
    ]


def test_a_change_rolled_back_or_refused_queues_nothing(desk):
    with pytest.raises(RuntimeError), desk.database.transaction() as session:
        make_ticket(
            session, policy=desk.runtime.policy, now=desk.clock.now(), outbound=desk.outbound
        )
        raise RuntimeError("the request failed after the service ran")
    assert desk.rows() == []
    ticket_id = desk.ticket(requester=REQUESTER)
    with pytest.raises(Forbidden):
        desk.act(
            ticket_id,
            lambda s, t: tickets.assign(
                session=s,
                ticket=t,
                assignee_id="U0AGT0001",
                viewer=OTHER_REQUESTER,
                now=desk.clock.now(),
                outbound=desk.outbound,
            ),
        )
    assert [r.event for r in desk.rows()] == ["ticket.created"]


def test_without_webhooks_nothing_is_queued(database, clock):
    Desk(database, clock)  # a runtime with webhooks on this database...
    runtime = Runtime(settings=Settings(), config=webhook_config(), database=database, clock=clock)
    assert runtime.config.webhooks == [] and runtime.dispatcher is None
    with database.transaction() as session:  # ...replaced by one without
        make_ticket(session, policy=runtime.policy, now=clock.now())
        assert session.scalars(select(WebhookDelivery)).all() == []


def test_a_session_outside_any_runtime_emits_nothing(database, clock, policy):
    with Session(database.engine) as session, session.begin():
        make_ticket(session, policy=policy, now=clock.now())
        assert session.scalars(select(WebhookDelivery)).all() == []


# --- Configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (hook(url="ftp://hooks.example.org/x"), "webhooks.0.url: 'ftp://hooks.example.org/x' is "
         "not an http:// or https:// URL"),
        (hook(url="hooks.example.org/x"), "is not an http:// or https:// URL"),
        (hook(url="https://YOUR-HOST/hook"), "webhooks.0.url: 'https://YOUR-HOST/hook' is a "
         "placeholder"),
        ({"url": HOOK, "events": ["ticket.created"]}, "webhooks.0.secret: Field required"),
        (hook(secret="CHANGE-ME-CHANGE-ME"), "webhooks.0.secret: the secret is a placeholder"),
        (hook(secret="short"), "webhooks.0.secret: the secret must be at least 16 characters"),
        (hook(events=["ticket.created", "ticket.deleted"]), "webhooks.0.events: unknown event "
         "'ticket.deleted': use any of ticket.created, ticket.updated, ticket.closed"),
        (hook(events=[]), "webhooks.0.events: List should have at least 1 item"),
        ({**hook(), "retries": 3}, "webhooks.0.retries: unknown key"),
    ],
)  # fmt: skip
def test_bad_webhook_config_is_named(entry, message):
    from ticketbot.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as error:
        parse_config(json.dumps({"webhooks": [entry]}), "ticketbot.yml")
    assert message in str(error.value) and str(error.value).startswith("ticketbot.yml: ")


def test_a_url_is_listed_once_and_secrets_never_print():
    from ticketbot.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match="is listed twice"):
        parse_config(json.dumps({"webhooks": [hook(), hook(events=["ticket.closed"])]}))
    config = webhook_config(hook(events=["ticket.closed", "ticket.closed"]))
    assert config.webhooks[0].events == ["ticket.closed"]
    # Words like "your" or "todo" inside a real URL or a random secret are not placeholders.
    real = webhook_config(hook(url="https://yourdesk.io/todo", secret="a1TODOb2yourc3d4e5f6"))
    assert real.webhooks[0].url == "https://yourdesk.io/todo"
    assert SECRET not in repr(config) and SECRET not in str(config.model_dump())


def test_the_example_webhook_needs_its_secret_replaced():
    from pathlib import Path

    from ticketbot.config import ConfigError, parse_config

    example = (Path(__file__).resolve().parents[2] / "ticketbot.example.yml").read_text()
    start = example.index("# webhooks:")
    uncommented = example[:start] + "\n".join(
        line.removeprefix("# ") for line in example[start:].splitlines()
    )
    with pytest.raises(ConfigError, match=r"webhooks\.0\.secret: the secret is a placeholder"):
        parse_config(uncommented, "ticketbot.yml")
    fixed = uncommented.replace("CHANGE-ME", "9b1c4e7f2a8d3b6c5e0f1a2b3c4d5e6f")
    assert [str(e) for e in parse_config(fixed).webhooks[0].events][-1] == "ticket.emailed"
