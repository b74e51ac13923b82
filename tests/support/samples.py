"""Tickets, comments, links and reports in memory, for the view tests: known values, and a
hostile text that must never ping anyone or break a message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.services.history import TimelineEntry
from ticketbot.services.periods import parse_period
from ticketbot.services.reports import (
    Backlog,
    Compliance,
    Durations,
    PartyName,
    Report,
    Satisfaction,
)
from ticketbot.store.models import Comment, ConversationLink, Party, Ticket
from ticketbot.vocabulary import Engagement, PartyKind, Priority, Source, Status, Visibility

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER, AGENT = "U0REQ0001", "U0AGT0001"
TITLE = "Printer on floor 3 is jammed"
CARD_LINK = "https://team.slack.com/archives/C0SUPPORT1/p1700000000000100"
PINGS = ("<!channel>", "<!here>", "<@U123>")
MARK = "Évil"  # starts the hostile text, so every place showing it can be found
HOSTILE = (
    f"{MARK} <!channel> <!here> <@U123> & Co 🎉👩‍💻 שלום مرحبا \u202e\u200f\x00\x07\x1b\n" * 250
)[:10_000]
ON_TRACK = SlaStatus(SlaState.ON_TRACK, NOW + timedelta(hours=3), timedelta(hours=3))
CLOSED = SlaStatus(SlaState.CLOSED, None, None)


def party(name: str = "Acme", kind: PartyKind = PartyKind.ACCOUNT, id: int = 3) -> Party:
    return Party(id=id, workspace_id="T0TEAM001", kind=kind, name=name, name_key=name.casefold())


def ticket(**overrides) -> Ticket:
    values = dict(
        id=1, workspace_id="T0TEAM001", number=7, title=TITLE,
        description="Paper stuck in tray 2.", solution="", status=Status.OPEN,
        priority=Priority.HIGH, engagement=Engagement.H4, category="Hardware",
        assignee_id=AGENT, requester_id=REQUESTER, party=party(), product="Printers",
        visibility=Visibility.PUBLIC, source=Source.SLASH_COMMAND, created_at=NOW,
        updated_at=NOW, due_at=NOW + timedelta(hours=4), sla_started_at=NOW, version=1,
    )  # fmt: skip
    return Ticket(**(values | overrides))


def hostile_ticket(**overrides) -> Ticket:
    text = dict.fromkeys(("title", "description", "solution", "category", "product"), HOSTILE)
    return ticket(status=Status.CLOSED, party=party(HOSTILE), **(text | overrides))


def comment(text: str = "Replaced the roller.", files: list[dict] | None = None) -> Comment:
    return Comment(id=1, ticket_id=1, author_id=AGENT, text=text, files=files, created_at=NOW)


def link(i: int = 1, permalink: str | None = CARD_LINK) -> ConversationLink:
    return ConversationLink(
        id=i, ticket_id=1, channel_id="C0GENERAL1", message_ts=f"1700000000.{i:06}",
        permalink=permalink, linked_by=AGENT, linked_at=NOW,
    )  # fmt: skip


def entries(count: int, text: str = "Looking into it.") -> list[TimelineEntry]:
    return [TimelineEntry("comment", NOW, AGENT, text=text) for _ in range(count)]


def dicts(node):
    """Every object in a payload, the payload included."""
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    for child in node if isinstance(node, list) else ():
        yield from dicts(child)


H = timedelta(hours=1)
A1 = "U0AGT0001"


def sample(**overrides) -> Report:
    period = parse_period("7d", now=NOW, timezone="UTC")
    report = Report(
        period=period,
        generated_at=NOW,
        raised=10,
        closed=6,
        by_source=tuple((s, n) for s, n in zip(Source, (4, 3, 0, 2, 1, 0, 0, 0), strict=True)),
        by_priority=tuple((p, n) for p, n in zip(Priority, (1, 5, 3, 1), strict=True)),
        by_status=tuple((s, n) for s, n in zip(Status, (3, 1, 0, 6), strict=True)),
        by_category=(("Hardware", 6), (None, 4)),
        by_assignee=((A1, 7), (None, 3)),
        by_party=((PartyName(PartyKind.ACCOUNT, "ACME"), 2), (None, 8)),
        first_response=Durations(9, 30 * timedelta(minutes=1), 3 * H),
        resolution=Durations(6, 5 * H, 2 * 24 * H),
        sla=Compliance(None, 6, 5),
        sla_by_priority=(Compliance(Priority.NORMAL, 4, 3), Compliance(Priority.HIGH, 2, 2)),
        sla_by_category=(Compliance("Hardware", 4, 4), Compliance(None, 2, 1)),
        backlog=Backlog(
            4,
            (("under_1d", 2), ("1d_3d", 1), ("3d_7d", 0), ("7d_30d", 0), ("over_30d", 1)),
            3,
            NOW - 40 * 24 * H,
        ),
        satisfaction=Satisfaction(3, {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}),
        daily=(
            (date(2026, 11, 17), Source.SLASH_COMMAND, 3),
            (date(2026, 11, 18), Source.REACTION, 2),
        ),
    )
    return replace(report, **overrides)


def texts(payload: dict, types=("plain_text", "mrkdwn")) -> list[str]:
    """Text objects of these types, input values, and a message's fallback (parsed) text."""
    found = [d["text"] for d in dicts(payload) if d.get("type") in types]
    if "plain_text" in types:
        found += [d["initial_value"] for d in dicts(payload) if "initial_value" in d]
    return found + ([payload["text"]] if isinstance(payload.get("text"), str) else [])


def blocks_by_id(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if "block_id" in b}
