"""The running app as Slack meets it: a real HTTP server on loopback, signed requests in,
and the fake Web API recording what the bot sends out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import SecretStr

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender
from ticketbot.app import build_app, work_queue
from ticketbot.clock import FakeClock
from ticketbot.concurrency import WorkQueue
from ticketbot.config import Settings, TicketbotConfig
from ticketbot.http.web import wsgi_app
from ticketbot.jobs.scheduler import Background
from ticketbot.pacing import Pacer
from ticketbot.runtime import Runtime
from ticketbot.store.db import Database

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


class PacingTime:
    """The pacer's time in a scenario: it moves only when the pacer waits, at once. Calls are
    paced as in production (the same buckets and 429 pauses) without a test sleeping for the
    one second between two posts in a channel; tests/test_pacing.py measures those waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waited = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
            self.waited += seconds


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass
class SlackScenario:
    runtime: Runtime
    fake: FakeSlack
    send: SlackSender
    clock: FakeClock
    url: str
    background: Background

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything the app started has finished (the work after the acks, the
        cards and webhooks it woke, and what those woke in turn): the point after which
        "nothing else happened" can be asserted."""
        deadline = time.monotonic() + timeout
        waiting = [self.background.work, self.background.deliverer, self.background.dispatcher]
        while True:
            for part in waiting:
                if part is not None and not part.wait_idle(max(deadline - time.monotonic(), 0)):
                    raise AssertionError(f"the app was still busy after {timeout}s")
            if all(part is None or part.wait_idle(0) for part in waiting):
                return

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
    *,
    wrap: Callable[[Callable], Callable] | None = None,
    work: WorkQueue | None = None,
    **environment: object,
) -> Iterator[SlackScenario]:
    """`environment`: more Settings (e.g. smtp_url=...), as the environment would give them;
    `wrap`: what the server does around the app (as gunicorn's worker does, see http/server.py);
    `work`: the queue of work after the ack (default: 5 threads, the default room)."""
    values = {
        "slack_bot_token": SecretStr(BOT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_url": fake.api_url,
        "database_url": database.url.render_as_string(hide_password=False),
        **environment,  # slack_bot_token=None: installed by workspaces (tests/support/installs.py)
    }
    settings = Settings(**values)
    runtime = Runtime(settings=settings, config=config, database=database, clock=clock)
    pacing = PacingTime()
    runtime.pacer = Pacer(monotonic=pacing.monotonic, sleep=pacing.sleep)
    work = work if work is not None else work_queue(workers=5)
    app = build_app(runtime, work=work)
    background = Background(runtime, app.workspaces, work, schedule=False)  # as `serve` does
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(app, runtime) if wrap is None else wrap(wsgi_app(app, runtime)),
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
            background=background,
        )
    finally:
        server.shutdown()
        server.server_close()
        background.stop()


@pytest.fixture
def slack(database, fake_slack, clock, config) -> Iterator[SlackScenario]:
    yield from start_scenario(database, fake_slack, clock, config)
