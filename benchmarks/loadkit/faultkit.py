"""What the fault scripts (`hostile.py`, `faults.py`) share: a bench (the fake Slack in its
process, a database, seeded cards, `ticketbot serve` with its log), the requests that store
something, shaped as Slack sends them, and ways to read back what was stored."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

from loadkit.burst import Request, burst
from loadkit.fake_process import FakeSlackProcess
from loadkit.payloads import AGENTS, REQUESTER, Card
from loadkit.targets import (
    POSTGRES,
    SIGNING_SECRET,
    USERGROUPS,
    Server,
    database,
    seed_cards,
    server_env,
    ticketbot_server,
    workdir,
)
from tests.support.slack_builders import PayloadBuilder
from tests.support.slack_payloads import plain, static
from tests.support.slack_requests import FORM, JSON, slack_json
from ticketbot.ids import ActionId, CallbackId, InputId
from ticketbot.store.db import Database
from ticketbot.store.models import Comment, Ticket

MARKER = re.compile(r"\b([a-z]{2}-\d{6})\b")


@dataclass
class Bench:
    kind: str  # "sqlite" or "postgresql"
    url: str
    tmp: Path
    fake: FakeSlackProcess
    cards: list[Card]
    server: Server
    env: dict[str, str]
    database: Database  # the bench's own connection, to read what was stored
    build: PayloadBuilder

    def send(self, requests: list[Request], **options) -> list:
        return burst(self.server.port, SIGNING_SECRET, requests, **options).outcomes

    def tracebacks(self) -> int:
        return self.server.log.count("Traceback (most recent call last)")


def builder(fake: FakeSlackProcess) -> PayloadBuilder:
    return PayloadBuilder(response_url=lambda name, **_where: fake.response_url(name))


@contextmanager
def bench(
    kind: str,
    *,
    cards: int = 20,
    workers: int = 2,
    threads: int = 8,
    admin_url: str = POSTGRES,
    own_role: bool = False,
) -> Iterator[Bench]:
    """Everything up and seeded: the fake Slack, the database, `cards` cards, the server."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(workdir()))
        fake = stack.enter_context(FakeSlackProcess(USERGROUPS))
        url = stack.enter_context(database(kind, tmp, admin_url, own_role=own_role))
        seeded = seed_cards(url, fake, cards)
        env = server_env(url, fake.api_url, tmp)
        server = ticketbot_server(env, tmp, workers=workers, threads=threads)
        stack.enter_context(server)
        db = Database(url)
        stack.callback(db.dispose)
        yield Bench(kind, url, tmp, fake, seeded, server, env, db, builder(fake))


# --- Requests ------------------------------------------------------------------------------


def interaction(payload: dict, tag: str = "") -> Request:
    return Request(urlencode({"payload": slack_json(payload)}).encode(), FORM, tag=tag)


def event(envelope: dict, tag: str = "") -> Request:
    return Request(slack_json(envelope).encode(), JSON, tag=tag)


def command(fields: dict, tag: str = "") -> Request:
    return Request(urlencode(fields).encode(), FORM, tag=tag)


def actions_block(card: Card) -> dict:
    return next(b for b in card.message["blocks"] if b.get("type") == "actions")


def status_change(build: PayloadBuilder, card: Card, value: str, name: str) -> Request:
    """A status picked on the card; Slack's answer to the person goes to response_url `name`."""
    action = {
        "action_id": ActionId.STATUS,
        "block_id": actions_block(card)["block_id"],
        "selected_option": static(value)["selected_option"],
    }
    payload = build.block_actions(
        [action],
        user_id=AGENTS[0],
        channel_id=card.channel,
        message=card.message,
        response_url=build.make_response_url(name),
    )
    return interaction(payload, tag=name)


def thread_reply_event(card: Card, marker: str, seq: int, *, user: str = REQUESTER) -> dict:
    return {
        "type": "message",
        "channel": card.channel,
        "channel_type": "channel",
        "user": user,
        "text": f"Any news on this? {marker}",
        "ts": f"1900000000.{seq:06d}",
        "thread_ts": card.ts,
    }


def thread_reply(build: PayloadBuilder, card: Card, marker: str, seq: int) -> Request:
    """A reply in the card's thread carrying `marker`; `seq` makes its ts and event id."""
    envelope = build.event(thread_reply_event(card, marker, seq), event_id=f"EvF{seq:09d}")
    return event(envelope, tag=marker)


def resend(request: Request, retry: int) -> Request:
    """The same delivery again, as Slack retries it (same body, X-Slack-Retry-Num)."""
    headers = (("X-Slack-Retry-Num", str(retry)), ("X-Slack-Retry-Reason", "http_error"))
    return Request(request.body, request.content_type, headers, request.tag)


def comment_click(build: PayloadBuilder, card: Card) -> Request:
    payload = build.block_actions(
        [{"action_id": ActionId.COMMENT}],
        user_id=AGENTS[0],
        channel_id=card.channel,
        message=card.message,
    )
    return interaction(payload)


def comment_submission(build: PayloadBuilder, view: dict, marker: str) -> Request:
    values = {InputId.COMMENT_TEXT: {InputId.COMMENT_TEXT: plain(f"Checked the tray. {marker}")}}
    payload = build.view_submission(view, values, user_id=AGENTS[0])
    return interaction(payload, tag=marker)


def open_view(bench: Bench, click: Request, callback_id: str, timeout: float = 20.0) -> dict:
    """Send the click that opens a modal and return the view as the fake Slack holds it."""
    before = bench.fake.latest_view(callback_id)
    outcome = bench.send([click])[0]
    if outcome.status != 200:
        raise RuntimeError(f"the click that opens {callback_id} got {outcome.status}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = bench.fake.latest_view(callback_id)
        if view is not None and (before is None or view["id"] != before["id"]):
            return view
        time.sleep(0.05)
    raise RuntimeError(f"no {callback_id} view opened within {timeout} s")


def comment_views(bench: Bench, count: int) -> list[tuple[Card, dict]]:
    """The Comment modal opened on the first `count` cards, through the app."""
    return [
        (card, open_view(bench, comment_click(bench.build, card), CallbackId.COMMENT_MODAL))
        for card in bench.cards[:count]
    ]


# --- What was stored -----------------------------------------------------------------------


def stored_markers(db: Database) -> Counter[str]:
    """How many comments carry each marker."""
    with db.snapshot() as session:
        texts = session.scalars(select(Comment.text)).all()
    return Counter(m for text in texts for m in MARKER.findall(text or ""))


def statuses(db: Database) -> dict[int, str]:
    with db.snapshot() as session:
        rows = session.execute(select(Ticket.number, Ticket.status)).all()
    return {number: str(getattr(status, "value", status)) for number, status in rows}


def settle(bench: Bench, quiet: float = 1.5, limit: float = 90.0) -> None:
    """Wait until neither the fake Slack nor the comments change for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = (
            sum(bench.fake.report()["calls"].values()),
            sum(stored_markers(bench.database).values()),
        )
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)
