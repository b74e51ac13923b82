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
from tests.support.socket_mode import Link, SocketModeServer
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
RECONNECT_TIMEOUT = 3.0  # seconds; the bot reconnects in about half of one
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

    def start(self, *options: str) -> None:
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
                [sys.executable, "-m", "ticketbot.cli", "socket", *metrics, *options],
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

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Ctrl+C (or SIGTERM): the bot finishes the work it started, then exits. Returns its
        exit code."""
        assert self.process is not None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(sig)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"the bot did not stop on {sig.name}:\n{self.output()}") from None

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

    def status_message(self, posted_before: int) -> dict:
        """The requester's status message for the ticket raised after `posted_before` of them:
        what tells the requester it was raised."""

        def is_status(call: Call) -> bool:
            return (call.args.get("metadata") or {}).get("event_type") == "ticketbot_status"

        calls = self.fake.wait_for("chat.postMessage", posted_before + 1, predicate=is_status)
        return calls[posted_before].args

    def status_messages(self) -> int:
        return len(
            [
                c
                for c in self.fake.calls("chat.postMessage")
                if (c.args.get("metadata") or {}).get("event_type") == "ticketbot_status"
            ]
        )

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
    statuses = bot.status_messages()
    assert bot.server.wait_for_ack(bot.server.interactive(submission)).payload is None
    status = bot.status_message(statuses)
    assert status["channel"] == REQUESTER  # raised from a command: told in a direct message
    number = int(re.search(r"#(\d+)", status["text"]).group(1))
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
    statuses = bot.status_messages()
    bot.server.interactive(bot.build.view_submission(view, values, user_id=REQUESTER))
    number = int(re.search(r"#(\d+)", bot.status_message(statuses)["text"]).group(1))
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
    assert outboxes == {
        "sla_alerts",
        "webhook_deliveries",
        "card_refreshes",
        "status_refreshes",
        "outgoing_messages",
    }
    # Socket Mode's acks travel over the WebSocket: no HTTP request is counted.
    assert "ticketbot_slack_requests" not in after.types or not after.labels(
        "ticketbot_slack_requests_total", "kind"
    )


def reconnected(bot: SocketBot, old: Link, opens: int) -> Link:
    """The connection the bot opened after `old`, with one new URL, `old` closed."""
    new = bot.server.wait_for_link(old.number + 1, timeout=RECONNECT_TIMEOUT)
    [call] = bot.fake.calls("apps.connections.open")[opens:]
    assert not call.failed and new.ticket != old.ticket  # a URL opens one connection
    bot.server.wait_closed(old)
    assert bot.server.open_links() == [new]
    return new


def help_is_answered_on(bot: SocketBot, link: Link) -> None:
    fields = bot.build.command("help", user_id=REQUESTER)
    envelope_id = bot.server.slash_command(fields)
    ack = bot.server.wait_for_ack(envelope_id)
    assert (ack.envelope_id, ack.link) == (envelope_id, link.number)
    assert "ticketbot commands" in bot.answer(fields).args["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("slack_closes", [False, True], ids=["bot-closes", "slack-closes"])
def test_the_bot_moves_when_slack_retires_its_connection(bot, slack_closes):
    opens = len(bot.fake.calls("apps.connections.open"))
    old = bot.server.refresh()  # "disconnect", reason refresh_requested
    if slack_closes:
        bot.server.drop(old)  # while the bot closes it too
    help_is_answered_on(bot, reconnected(bot, old, opens))


@pytest.mark.parametrize("how", ["eof", "reset", "close"])
def test_the_bot_reconnects_at_once_when_its_connection_drops(bot, how):
    opens = len(bot.fake.calls("apps.connections.open"))
    old = bot.server.drop(how=how)  # no disconnect message first; a close frame or none
    help_is_answered_on(bot, reconnected(bot, old, opens))
    logged = bot.complaints()
    if how == "close":  # Slack closing a connection is routine
        assert logged == []
        assert "INFO ticketbot.socket: Slack closed the Socket Mode connection (1001)" in (
            bot.output()
        )
    else:  # logged once, as a warning
        [warning] = logged
        assert "WARNING ticketbot.socket: Socket Mode connection ended (" in warning


def test_a_connection_gone_silent_is_replaced(bot):
    bot.stop()
    bot.start("--ping-interval", "1")  # a ping a second; half a second to answer it
    bot.complaints()  # starting up
    opens = len(bot.fake.calls("apps.connections.open"))
    with bot.server.silenced() as old:  # the TCP connection stays, nothing answers
        new = bot.server.wait_for_link(old.number + 1, timeout=RECONNECT_TIMEOUT + 2)
    assert reconnected(bot, old, opens) == new
    [warning] = bot.complaints()
    assert "WARNING ticketbot.socket: Socket Mode connection silent: no pong in 0.5s" in warning
    help_is_answered_on(bot, new)
    assert bot.stop() == 0  # the next test gets the bot of the usual settings


def test_an_event_redelivered_on_a_new_connection_is_handled_once(bot):
    number, card_ts = raise_ticket(bot, "Door badge rejected")
    envelope = bot.build.event(reply(bot, "Reset the badge", card_ts))
    bot.server.wait_for_ack(bot.server.event(envelope))
    eventually(lambda: comments(bot, number) == ["Reset the badge"], "the comment")
    opens = len(bot.fake.calls("apps.connections.open"))
    new = reconnected(bot, bot.server.drop(how="eof"), opens)
    [warning] = bot.complaints()
    assert "Socket Mode connection ended" in warning
    again = bot.server.event(envelope, retry_attempt=1, retry_reason="timeout")
    ack = bot.server.wait_for_ack(again)
    assert (ack.envelope_id, ack.link) == (again, new.number)
    assert bot.stop() == 0  # once the work after the acks is done
    assert comments(bot, number) == ["Reset the badge"]


def test_sigterm_finishes_the_work_in_flight_then_exits_cleanly(bot):
    opened = len(bot.fake.calls("views.open"))
    bot.fake.fail_next("views.open", status=200, delay=1.5)  # the form is slow to open
    fields = bot.build.command("new Projector flickers", user_id=REQUESTER)
    bot.server.wait_for_ack(bot.server.slash_command(fields))
    signalled = time.time()
    assert bot.stop(signal.SIGTERM) == 0
    exited = time.time()
    [call] = bot.fake.calls("views.open")[opened:]
    assert signalled < call.at < exited  # under way when SIGTERM came; the bot waited for it
    assert call.args["trigger_id"] == fields["trigger_id"] and not call.failed
    assert call.response["view"]["callback_id"] == CallbackId.CREATE_MODAL
    lines = bot.output().splitlines()
    assert any(
        "INFO ticketbot.socket: SIGTERM: closing the Socket Mode connection" in line
        for line in lines
    )
    assert lines[-1].endswith("INFO ticketbot.cli: stopped cleanly")


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
