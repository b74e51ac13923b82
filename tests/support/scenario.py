"""The running app as Slack meets it: a real HTTP server on loopback, signed requests in,
and the fake Web API recording what the bot sends out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import SecretStr

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender
from ticketbot.app import build_app
from ticketbot.clock import FakeClock
from ticketbot.concurrency import ContextExecutor
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.http.web import wsgi_app
from ticketbot.jobs.webhooks import start_dispatcher
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ListenerPool(ContextExecutor):
    """Bolt's listener threads, counting the work in flight so a test can wait for quiet."""

    def __init__(self) -> None:
        super().__init__(max_workers=5, thread_name_prefix="listener")
        self._busy = 0
        self._quiet = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):
        with self._quiet:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future) -> None:
        with self._quiet:
            self._busy -= 1
            self._quiet.notify_all()

    def wait_quiet(self, timeout: float) -> bool:
        with self._quiet:
            return self._quiet.wait_for(lambda: self._busy == 0, timeout)


@dataclass
class SlackScenario:
    runtime: Runtime
    fake: FakeSlack
    send: SlackSender
    clock: FakeClock
    url: str
    listeners: _ListenerPool

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every listener the app started has finished, work after ack() included:
        the point after which "nothing else happened" can be asserted."""
        if not self.listeners.wait_quiet(timeout):
            raise AssertionError(f"the app was still busy after {timeout}s")

    @property
    def database(self) -> Database:
        return self.runtime.database

    def last_view(self, method: str = "views.open") -> dict:
        return self.fake.calls(method)[-1].args["view"]

    def card(self, number: int = 1) -> dict:
        """The latest state of a ticket's card, as Slack holds it."""
        from ticketbot.store.models import Ticket

        with self.database.transaction() as session:
            ticket = session.query(Ticket).filter_by(number=number).one()
            channel, ts = ticket.card_channel_id, ticket.card_ts
        return {"channel": channel, "ts": ts, **self.fake.message(channel, ts)}


def start_scenario(
    database: Database,
    fake: FakeSlack,
    clock: FakeClock,
    config: TicketbotConfig,
    **environment: object,
) -> Iterator[SlackScenario]:
    """`environment`: more Settings (e.g. smtp_url=...), as the environment would give them."""
    settings = Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=fake.api_url,
        database_url=database.url.render_as_string(hide_password=False),
        **environment,
    )
    runtime = Runtime(settings=settings, config=config, database=database, clock=clock)
    start_dispatcher(runtime)  # as `ticketbot serve` does
    listeners = _ListenerPool()
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(build_app(runtime, listener_executor=listeners), runtime),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield SlackScenario(
            runtime=runtime,
            fake=fake,
            send=SlackSender(url, SIGNING_SECRET, response_url=fake.response_url),
            clock=clock,
            url=url,
            listeners=listeners,
        )
    finally:
        server.shutdown()
        server.server_close()
        listeners.shutdown(wait=True)


@pytest.fixture
def slack(database, fake_slack, clock, config) -> Iterator[SlackScenario]:
    yield from start_scenario(database, fake_slack, clock, config)
