"""Webhook test helpers: receivers mocked with `responses`, and a runtime whose passes run
only when the test says so."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager

import responses
from sqlalchemy import select

from tests.support.factories import make_ticket
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.jobs.webhooks import deliver_webhooks, start_dispatcher
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database
from ticketbot.store.models import Ticket, WebhookDelivery

HOOK = "https://hooks.example.org/ticketbot"
OPS = "https://ops.example.net/in"
SECRET = "3f9d0c2b7a1e4d6f8b5c9a0e1d2f3b4c"
OPS_SECRET = "ops-secret-0123456789abcdef"
EVERYTHING = [
    "ticket.created",
    "ticket.updated",
    "ticket.closed",
    "ticket.reopened",
    "ticket.commented",
    "ticket.emailed",
]


def webhook_config(*hooks: dict) -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {"agents": ["U0AGT0001"], "triage_channel": "C0SUPPORT1", "webhooks": list(hooks)}
    )


def hook(url: str = HOOK, secret: str = SECRET, events=tuple(EVERYTHING)) -> dict:
    return {"url": url, "secret": secret, "events": list(events)}


@contextmanager
def mocked_http() -> Iterator[responses.RequestsMock]:
    """Every request made with `requests`, mocked unless on loopback (the app, the fake
    Slack): nothing leaves the machine."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru("http://127.0.0.1")
        yield mock


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def posts(http, url: str = HOOK) -> list:
    return [c.request for c in http.calls if c.request.url == url]


class Desk:
    """A runtime with webhooks on the test database and clock. Passes run when the test says:
    the post-commit nudge is off unless `nudge=True`."""

    def __init__(self, database: Database, clock, *hooks: dict, nudge: bool = False) -> None:
        config = webhook_config(*(hooks or (hook(),)))
        self.runtime = Runtime(settings=Settings(), config=config, database=database, clock=clock)
        if nudge:
            start_dispatcher(self.runtime)
        self.outbound = self.runtime.outbound
        self.database, self.clock = database, clock

    def ticket(self, **fields) -> int:
        with self.database.transaction() as session:
            return make_ticket(
                session,
                policy=self.runtime.policy,
                now=self.clock.now(),
                outbound=self.outbound,
                **fields,
            ).id

    def act(self, ticket_id: int, work) -> None:
        with self.database.transaction() as session:
            work(session, session.get(Ticket, ticket_id))

    def rows(self) -> list[WebhookDelivery]:
        with self.database.transaction() as session:
            return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))

    def bodies(self) -> list[dict]:
        return [json.loads(row.payload) for row in self.rows()]

    def deliver(self, **kwargs):
        return deliver_webhooks(self.runtime, **kwargs)
