"""The report message, its chart and the rating messages: shapes, Slack's limits, hostile
names, and a chart that is a real PNG of a plausible size."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from tests.support.blockkit import message_problems
from tests.support.samples import A1, HOSTILE, MARK, PINGS, sample, ticket
from ticketbot.services.reports import (
    Compliance,
    PartyName,
    Satisfaction,
)
from ticketbot.views.rating import rating_request, rating_thanks
from ticketbot.views.report import report_message, report_sent
from ticketbot.views.report_chart import report_chart
from ticketbot.vocabulary import PartyKind, Source, Status


def section_texts(message: dict) -> dict[str, str]:
    """Each titled list of the message by its bold title."""
    found = {}
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and text.startswith("*"):
            title, _sep, body = text.partition("\n")
            found[title.strip("*")] = body
    return found


def test_the_report_reads_as_lists_a_screen_reader_follows():
    message = report_message(sample(), names={A1: "Ada Lovelace"})
    assert message_problems(message) == []
    assert message["text"] == "Ticket report, last 7 days: 10 raised, 6 closed, 4 open now"
    overview = [f["text"] for f in message["blocks"][2]["fields"]]
    assert overview == [
        "*Raised*\n10",
        "*Closed*\n6",
        "*Open now*\n4",
        "*Deadlines met*\n83% (5 of 6)",
        "*First response*\nmedian 30 min, 90% within 3 h",
        "*Resolution*\nmedian 5 h, 90% within 2 d",
        "*Satisfaction*\n4.0 / 5 (3 ratings)",
    ]
    lists = section_texts(message)
    assert lists["Where tickets come from"] == (
        "• Slash command: 4 (40%)\n• Message shortcut: 3 (30%)\n• Global shortcut: 0 (0%)\n"
        "• Reaction: 2 (20%)\n• App Home: 1 (10%)\n• Command line: 0 (0%)\n"
        "• Request channel: 0 (0%)\n• Workflow: 0 (0%)"
    )
    assert lists["By assignee"] == "• Ada Lovelace: 7 (70%)\n• Unassigned: 3 (30%)"
    assert lists["Related to"] == "• Account: ACME: 2 (20%)\n• No related party: 8 (80%)"
    assert lists["Deadlines met by priority"] == "• Normal: 75% (3 of 4)\n• High: 100% (2 of 2)"
    assert lists["Deadlines met by category"] == (
        "• Hardware: 100% (4 of 4)\n• No category: 50% (1 of 2)"
    )
    assert lists["Open now: 4, by age"].startswith("• Under a day: 2\n• 1 to 3 days: 1")
    assert "Oldest: #3, raised <!date^" in lists["Open now: 4, by age"]
    assert lists["Satisfaction: 4.0 / 5 (3 ratings)"].startswith("• 5 stars: 1\n• 4 stars: 1")
    assert message["blocks"][-1]["type"] == "context"  # the chart is announced


def test_top_lists_sum_up_the_rest_and_unknown_people_stay_ids():
    report = sample(raised=30, by_assignee=((A1, 7), ("U0NEW0001", 3)))
    lists = section_texts(report_message(report, names={}, chart=False))
    assert lists["By assignee"] == "• U0AGT0001: 7 (23%)\n• U0NEW0001: 3 (10%)\n• Others: 20 (67%)"


def test_hostile_names_are_escaped_and_every_list_fits_its_section():
    names = {f"U0AGT{n:04d}": HOSTILE for n in range(10)}
    report = sample(
        raised=1000,
        by_category=tuple((f"{HOSTILE[:70]}{n}", 90 - n) for n in range(10)),
        by_assignee=tuple((uid, 50) for uid in names),
        by_party=tuple((PartyName(PartyKind.ASSET, HOSTILE[:150]), 5) for _ in range(10)),
        sla_by_category=tuple(Compliance(f"{HOSTILE[:70]}{n}", 9, 3) for n in range(10)),
    )
    message = report_message(report, names=names)
    assert message_problems(message) == []
    text = str(message)
    assert MARK in text and not any(ping in text for ping in PINGS)
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if "text" in b)


def test_an_empty_period_says_so_in_plain_words():
    empty = sample(raised=0, closed=0, satisfaction=Satisfaction(0, dict.fromkeys(range(1, 6), 0)))
    message = report_message(empty, names={})
    assert message_problems(message) == []
    assert [b["type"] for b in message["blocks"]] == ["header", "context", "section", "section"]
    assert message["blocks"][2]["text"]["text"] == (
        "Nothing happened in this period: no ticket raised, none closed, no rating."
    )
    assert message["blocks"][3]["text"]["text"].startswith("*Open now: 4, by age*")


def test_the_answer_links_to_the_direct_message():
    link = "https://test.slack.com/archives/D0AGT0001/p1700000000000100"
    sent = report_sent(link)
    assert sent["text"] == f"Report sent to you in a <{link}|direct message>."
    refused = report_sent(None, chart_error="missing_scope")
    assert refused["text"] == (
        "Report sent to you in a direct message. Slack refused its chart (missing_scope); "
        "every figure is in the text."
    )
    assert message_problems(sent) == [] and message_problems(refused) == []


def test_the_chart_is_a_png_of_a_plausible_size():
    png = report_chart(sample())
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size == (1000, 800)
    assert 10_000 < len(png) < 500_000
    assert report_chart(sample()) == png  # the same report draws the same bytes


def test_a_chart_without_tickets_or_closures_is_still_drawn():
    quiet = sample(daily=(), sla_by_category=(), closed=0)
    hostile = sample(
        sla_by_category=(Compliance(HOSTILE[:300], 3, 1),),
        daily=((date(2026, 11, 17), Source.CLI, 1),),
    )
    for report in (quiet, hostile):
        assert Image.open(io.BytesIO(report_chart(report, weekly=True))).size == (1000, 800)


def test_rating_request_and_thanks():
    closed = ticket(status=Status.CLOSED, solution="New roller", title=HOSTILE[:200])
    asked = rating_request(closed)
    assert message_problems(asked) == []
    assert asked["text"] == "Ticket #7 is closed: how did we do?"
    labels = [b["accessibility_label"] for b in asked["blocks"][-1]["elements"]]
    assert labels[0] == "1 out of 5, very unhappy" and labels[4] == "5 out of 5, very happy"
    assert not any(ping in str(asked) for ping in PINGS)
    thanked = rating_thanks(closed, 5)
    assert message_problems(thanked) == []
    assert thanked["blocks"][2]["elements"][4]["style"] == "primary"
    assert "Choose another score" in thanked["blocks"][3]["elements"][0]["text"]
