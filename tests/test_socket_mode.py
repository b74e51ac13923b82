"""`ticketbot socket` end to end: the real command in a subprocess, connected over a real
WebSocket to Slack's Socket Mode on loopback (tests/support/socket_mode.py) and answering
through the fake Web API. One bot process serves the module, per database, unless a test
stops it; each test counts what it caused from where the previous one left off."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.databases import empty, postgres_url
from tests.support.fake_slack import Call, FakeSlack
from tests.support.metrics import scrape
from tests.support.slack_builders import PayloadBuilder
from tests.support.slack_payloads import plain, static
from tests.support.socket_mode import SocketModeServer
from ticketbot.ids import CallbackId, InputId
from ticketbot.store.db import Database
from ticketbot.store.models import Comment, Ticket

APP_TOKEN = "xapp-1-A0APP0001-4242424242-5f0c1d2e3b4a"
BOT_TOKEN = "xoxb-socket-mode-test"
AGENT = "U0AGT0001"
REQUESTER = "U0REQ0001"
TRIAGE = "C0SUPPORT1"
CONFIG = f"agents: [{AGENT}]\ntriage_channel: {TRIAGE}\n"
OWN_SETTINGS = ("SLACK_", "TICKETBOT_", "DATABASE_URL", "SMTP_", "LOG_")
COMPLAINT = re.compile(r" (WARNING|ERROR|CRITICAL) |Traceback|xapp-|xoxb-")


def eventually(condition: Callable[[], object], what: str, timeout: float = 5.0) -> None:
    """Poll `condition` until it holds: the bot works in another process."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SocketBot:
    """The `ticketbot socket` process, the Slack it talks to, and its database."""

    def __init__(self, workdir: Path, database_url: str, fake: FakeSlack) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.fake = fake
        self.server = SocketModeServer(fake)
        self.build = PayloadBuilder(response_url=fake.response_url)
        self.database = Database(database_url)  # to look at what the bot wrote
        self.process: subprocess.Popen | None = None
        self.runs = 0
        self.metrics_port = 0  # where GET /metrics answers (--metrics-port)
        self.seen = 0  # how much of the current log a test has already looked at
        (workdir / "ticketbot.yml").write_text(CONFIG)

    def start(self) -> None:
        self.runs += 1
        connected = len(self.server.links)
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
        env.update(
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=self.fake.api_url,
            DATABASE_URL=self.database_url,
            TICKETBOT_CONFIG=str(self.workdir / "ticketbot.yml"),
        )
        self.metrics_port = _free_port()
        metrics = ["--metrics-host", "127.0.0.1", "--metrics-port", str(self.metrics_port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ticketbot.cli", "socket", *metrics],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.seen = 0
        process = self.process
        try:
            eventually(
                lambda: len(self.server.links) > connected or process.poll() is not None,
                "the bot to connect",
                timeout=30,
            )
        finally:
            if len(self.server.links) == connected:
                self.stop()
                pytest.fail(f"`ticketbot socket` did not connect:\n{self.output()}")

    def stop(self) -> int:
        """Ctrl+C: the bot finishes the work it started, then exits. Returns its exit code."""
        assert self.process is not None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"the bot did not stop on Ctrl+C:\n{self.output()}") from None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log(self) -> Path:
        return self.workdir / f"bot-{self.runs}.log"

    def output(self) -> str:
        return self.log.read_text()

    def complaints(self) -> list[str]:
        """Warnings, errors and tracebacks the bot logged since the last look."""
        output = self.output()
        fresh, self.seen = output[self.seen :], len(output)
        return [line for line in fresh.splitlines() if COMPLAINT.search(line)]

    def answer(self, fields: dict[str, str]) -> Call:
        """What the bot said on a slash command's response_url."""
        name = fields["response_url"].rsplit("/", 1)[1]
        [call] = self.fake.wait_for("response_url", predicate=lambda c: c.path == name)
        return call

    def count(self, model: type) -> int:
        with self.database.snapshot() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bot_database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('socket-db') / 'ticketbot.db'}"
    url = postgres_url(request.getfixturevalue("postgres_schema"))
    database = Database(url)
    empty(database)  # the bot finds the schema migrated and empty
    database.dispose()
    return url


@pytest.fixture(scope="module")
def running(bot_database_url, tmp_path_factory) -> Iterator[SocketBot]:
    with FakeSlack() as fake:
        bot = SocketBot(tmp_path_factory.mktemp("socket"), bot_database_url, fake)
        with bot.server:
            try:
                yield bot
            finally:
                if bot.process is not None:
                    bot.stop()
                bot.database.dispose()


@pytest.fixture
def bot(running: SocketBot) -> Iterator[SocketBot]:
    """The running bot (started again if a test stopped it). The test fails if the bot sent
    anything Slack would reject, over the Web API or the WebSocket, or logged a warning, an
    error or a token meanwhile."""
    if not running.running:
        running.start()
    running.complaints()  # starting up is not the test's business
    yield running
    problems = running.fake.pop_errors() + running.complaints()
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        pytest.fail(f"{len(problems)} problem(s) besides the test's:\n{listing}", pytrace=False)


def test_a_slash_command_is_acked_and_answered(bot):
    fields = bot.build.command("help", user_id=REQUESTER)
    ack = bot.server.wait_for_ack(bot.server.slash_command(fields))
    assert ack.payload is None  # the answer goes to the response_url
    answer = bot.answer(fields).args
    assert answer["response_type"] == "ephemeral"
    assert "ticketbot commands" in answer["blocks"][0]["text"]["text"]


def test_the_create_form_opens_and_its_submission_raises_a_ticket(bot):
    before = bot.count(Ticket)
    opened = len(bot.fake.calls("views.open"))
    fields = bot.build.command("new Printer jammed", user_id=REQUESTER)
    assert bot.server.wait_for_ack(bot.server.slash_command(fields)).payload is None
    call = bot.fake.wait_for("views.open", opened + 1)[opened]
    assert call.args["trigger_id"] == fields["trigger_id"] and not call.failed
    view = call.response["view"]
    assert view["callback_id"] == CallbackId.CREATE_MODAL

    priority = {InputId.PRIORITY: {InputId.PRIORITY: static("normal")}}
    blank = bot.build.view_submission(
        view, {InputId.TITLE: {InputId.TITLE: plain("   ")}, **priority}, user_id=REQUESTER
    )
    refused = bot.server.wait_for_ack(bot.server.interactive(blank))
    assert refused.payload == {
        "response_action": "errors",
        "errors": {InputId.TITLE: "Title is required."},
    }
    assert bot.count(Ticket) == before

    submission = bot.build.view_submission(view, priority, user_id=REQUESTER)
    assert bot.server.wait_for_ack(bot.server.interactive(submission)).payload is None
    confirmation = bot.answer(fields).args["text"]
    number = int(re.search(r"#(\d+)", confirmation).group(1))
    assert number == before + 1
    [card] = bot.fake.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.args.get("channel") == TRIAGE and f"#{number}" in c.args["text"],
    )
    with bot.database.snapshot() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert (ticket.title, ticket.requester_id) == ("Printer jammed", REQUESTER)
        assert (ticket.card_channel_id, ticket.card_ts) == (TRIAGE, card.response["ts"])


def raise_ticket(bot: SocketBot, title: str) -> tuple[int, str]:
    """`/ticket new` and its form, over the socket; the ticket's number and card ts."""
    opened = len(bot.fake.calls("views.open"))
    fields = bot.build.command(f"new {title}", user_id=REQUESTER)
    bot.server.wait_for_ack(bot.server.slash_command(fields))
    view = bot.fake.wait_for("views.open", opened + 1)[opened].response["view"]
    values = {InputId.PRIORITY: {InputId.PRIORITY: static("normal")}}
    bot.server.interactive(bot.build.view_submission(view, values, user_id=REQUESTER))
    number = int(re.search(r"#(\d+)", bot.answer(fields).args["text"]).group(1))
    with bot.database.snapshot() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        return number, ticket.card_ts


def reply(bot: SocketBot, text: str, thread_ts: str) -> dict:
    return {
        "type": "message",
        "channel": TRIAGE,
        "channel_type": "channel",
        "user": AGENT,
        "text": text,
        "ts": bot.fake.next_ts(),
        "thread_ts": thread_ts,
    }


def comments(bot: SocketBot, number: int) -> list[str]:
    with bot.database.snapshot() as session:
        query = select(Comment.text).join(Ticket).where(Ticket.number == number)
        return list(session.scalars(query.order_by(Comment.id)))


def test_a_reply_in_the_card_thread_becomes_a_comment(bot):
    number, card_ts = raise_ticket(bot, "Toner low")
    envelope = bot.build.event(reply(bot, "On my way with a cartridge", card_ts))
    assert bot.server.wait_for_ack(bot.server.event(envelope)).payload is None
    eventually(lambda: comments(bot, number) == ["On my way with a cartridge"], "the comment")


def test_opening_app_home_publishes_the_home_view(bot):
    published = len(bot.fake.calls("views.publish"))
    opened = {"type": "app_home_opened", "user": AGENT, "channel": "D0AGT0001", "tab": "home"}
    bot.server.wait_for_ack(bot.server.event(bot.build.event(opened)))
    call = bot.fake.wait_for("views.publish", published + 1)[published]
    assert call.args["user_id"] == AGENT and call.args["view"]["type"] == "home"
    assert not call.failed


def test_the_metrics_have_a_port_of_their_own(bot):
    before = scrape(f"http://127.0.0.1:{bot.metrics_port}")
    raise_ticket(bot, "Projector bulb")
    after = scrape(f"http://127.0.0.1:{bot.metrics_port}")
    calls = "ticketbot_slack_api_calls_total"
    for method in ("views.open", "chat.postMessage"):
        more = after.value(calls, method=method, outcome="ok")
        assert more > before.value(calls, method=method, outcome="ok"), method
    outboxes = after.labels("ticketbot_outbox_pending", "outbox")
    assert outboxes == {"sla_alerts", "webhook_deliveries", "card_refreshes"}
    # Socket Mode's acks travel over the WebSocket: no HTTP request is counted.
    assert "ticketbot_slack_requests" not in after.types or not after.labels(
        "ticketbot_slack_requests_total", "kind"
    )


def test_the_bot_reconnects_when_slack_retires_its_connection(bot):
    opens = len(bot.fake.calls("apps.connections.open"))
    old = bot.server.refresh()  # "disconnect", reason refresh_requested, ...
    bot.server.drop(old)  # ... and the connection goes
    # At once, thanks to the disconnect message; a close alone waits for the client's next
    # health check (Bolt's ping interval, 10 s).
    new = bot.server.wait_for_link(old.number + 1, timeout=5)
    [call] = bot.fake.calls("apps.connections.open")[opens:]
    assert not call.failed and new.ticket != old.ticket  # a URL opens one connection
    assert bot.server.open_links() == [new]

    fields = bot.build.command("help", user_id=REQUESTER)
    ack = bot.server.wait_for_ack(bot.server.slash_command(fields))
    assert ack.link == new.number
    assert "ticketbot commands" in bot.answer(fields).args["blocks"][0]["text"]["text"]


def test_an_event_delivered_twice_is_handled_once(bot):
    number, card_ts = raise_ticket(bot, "Badge reader broken")
    envelope = bot.build.event(reply(bot, "Replaced the reader", card_ts))
    first = bot.server.event(envelope)
    again = bot.server.event(envelope, retry_attempt=1, retry_reason="timeout")
    assert first != again
    bot.server.wait_for_ack(first)
    bot.server.wait_for_ack(again)
    # Ctrl+C: the bot finishes the work it has started (both deliveries), then exits.
    assert bot.stop() == 0  # a clean exit, once that work is done
    assert comments(bot, number) == ["Replaced the reader"]
