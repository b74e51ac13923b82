"""The five interactions under load, as Slack sends them.

Bodies are built once by the test harness's `SlackSender` (so they have Slack's exact shapes)
and captured instead of sent; a `__SEQ__` marker is replaced per request where Slack would
send something unique (event ids, message ts, response URLs), and the client signs each
request with the current time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.slack_payloads import static
from tests.support.slack_requests import SlackSender
from ticketbot.ids import ActionId

SEQ = b"__SEQ__"
REQUESTER = "U0REQ0001"
AGENTS = ["U0AGT0001", "U0AGT0002", "U0AGT0003", "U0AGT0004"]
ADMIN = "U0MGR0001"
TRIAGE = "C0SUPPORT1"
GENERAL = "C0GENERAL1"
AGENT_GROUP = "S0AGENTS01"
CONFIG_YAML = f"""\
agents: [{AGENT_GROUP}]
admins: [{ADMIN}]
triage_channel: {TRIAGE}
sla:
  alert_channel: C0SLAALERT
"""


@dataclass(frozen=True)
class Template:
    body: bytes
    content_type: str

    def render(self, seq: int) -> bytes:
        if SEQ not in self.body:
            return self.body
        return self.body.replace(SEQ, b"%09d" % seq)


@dataclass(frozen=True)
class Card:
    """A seeded ticket's live card, as the fake Slack holds it."""

    number: int
    channel: str
    ts: str
    message: dict


Pick = Callable[[int, int], Template]  # (client, seq) -> the request to send


@dataclass(frozen=True)
class Interaction:
    name: str
    title: str
    picker: Callable[[int], Pick]  # concurrency -> pick
    # What shows the work after the ack is done: a fake Slack method's call count,
    # "comments" or "history" (rows in the database). A status change is done when its
    # history line is written: its card follows at the pace of Slack's chat.update budget
    # (50 a minute), coalesced, so cards cannot keep up with 250 clicks a second.
    effect: str


class _Capture(SlackSender):
    def post(self, body, content_type, **_ignored):
        self.captured = Template(body, content_type)
        return None


def _capture(send: Callable[[_Capture], object], response_url: Callable[..., str]) -> Template:
    sender = _Capture("http://127.0.0.1", "unused", response_url=response_url)
    send(sender)
    return sender.captured


def _same(template: Template) -> Callable[[int], Pick]:
    return lambda concurrency: lambda client, seq: template


class StatusFlips:
    """Each client works its own cards in turn, and each visit flips the card's status
    between In progress and Open, so every click is a real change (a history line)."""

    def __init__(self, cards: list[Card], make: Callable[[Card, str], Template]) -> None:
        self._cards = cards
        self._templates = {
            (card.number, value): make(card, value)
            for card in cards
            for value in ("in_progress", "open")
        }
        self._in_progress = {card.number: False for card in cards}

    def picker(self, concurrency: int) -> Pick:
        if len(self._cards) < concurrency:
            raise ValueError(f"need at least {concurrency} cards, have {len(self._cards)}")
        turns = [itertools.cycle(self._cards[client::concurrency]) for client in range(concurrency)]

        def pick(client: int, seq: int) -> Template:
            card = next(turns[client])
            flipped = not self._in_progress[card.number]
            self._in_progress[card.number] = flipped
            return self._templates[(card.number, "in_progress" if flipped else "open")]

        return pick


def status_click(card: Card, value: str, response_url: Callable[[str], str]) -> Template:
    """An agent picks the status `value` in the card's select."""
    block = next(b for b in card.message["blocks"] if b.get("type") == "actions")
    action = {
        "action_id": ActionId.STATUS,
        "block_id": block["block_id"],
        "selected_option": static(value)["selected_option"],
    }

    def url(name: str, **_ignored) -> str:
        return response_url(name)

    return _capture(
        lambda s: s.block_actions(
            [action],
            user_id=AGENTS[0],
            channel_id=card.channel,
            message=card.message,
            response_url=url("status-__SEQ__"),
        ),
        url,
    )


def interactions(cards: list[Card], response_url: Callable[[str], str]) -> list[Interaction]:
    def url(name: str, **_ignored) -> str:
        return response_url(name)

    def status(card: Card, value: str) -> Template:
        return status_click(card, value, response_url)

    def reply(card: Card) -> Template:
        event = {
            "type": "message",
            "channel": card.channel,
            "channel_type": "channel",
            "user": REQUESTER,
            "text": "Any news on this? It is still broken (__SEQ__)",
            "ts": "1900000000.__SEQ__",
            "thread_ts": card.ts,
        }
        return _capture(lambda s: s.event(event, event_id="EvC__SEQ__"), url)

    replies = [reply(card) for card in cards]
    homes = [
        _capture(
            lambda s, agent=agent: s.event(
                {"type": "app_home_opened", "user": agent, "channel": "D0HOME0001", "tab": "home"},
                event_id="EvH__SEQ__",
            ),
            url,
        )
        for agent in AGENTS
    ]
    help_command = _capture(
        lambda s: s.command(
            "help", user_id=REQUESTER, channel_id=GENERAL, response_url=url("help-__SEQ__")
        ),
        url,
    )
    new_command = _capture(
        lambda s: s.command(
            "new Printer on floor 3 jammed again",
            user_id=REQUESTER,
            channel_id=GENERAL,
            response_url=url("new-__SEQ__"),
        ),
        url,
    )
    flips = StatusFlips(cards, status)
    return [
        Interaction("help", "`/ticket help`", _same(help_command), "response_url"),
        Interaction("new", "`/ticket new` (opens the modal)", _same(new_command), "views.open"),
        Interaction("status", "status change on the card", flips.picker, "history"),
        Interaction(
            "comment",
            "thread reply (comment)",
            lambda concurrency: lambda client, seq: replies[seq % len(replies)],
            "comments",
        ),
        Interaction(
            "home",
            "`app_home_opened`",
            lambda concurrency: lambda client, seq: homes[client % len(homes)],
            "views.publish",
        ),
    ]
