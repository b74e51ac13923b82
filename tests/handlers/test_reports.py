"""`/ticket report` end to end: the report in a direct message with its chart uploaded beside
it, who may ask, bad periods, empty periods, and a chart Slack refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.steps import (
    ADMIN,
    AGENT,
    AGENT_2,
    OTHER,
    REQUESTER,
    command,
    seed_ticket,
    viewer,
)
from ticketbot.services import tickets
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Status

PNG = b"\x89PNG\r\n\x1a\n"


def dm(user_id: str) -> str:
    return "D" + user_id[1:]


def _close(slack, number: int, *, after: timedelta) -> None:
    slack.clock.advance(after)
    with slack.database.transaction() as session:
        found = session.query(Ticket).filter_by(number=number).one()
        tickets.change_status(
            session=session,
            ticket=found,
            status=Status.CLOSED,
            solution="Done",
            viewer=viewer(AGENT),
            now=slack.clock.now(),
            policy=slack.runtime.policy,
        )


@pytest.fixture
def busy(slack):
    seed_ticket(slack, "Printer jammed", category="Hardware", assignee_id=AGENT)
    seed_ticket(slack, "VPN down", source="reaction", category="Network", priority="urgent")
    seed_ticket(slack, "New laptop", source="app_home", assignee_id=AGENT_2)
    _close(slack, 1, after=timedelta(hours=2))
    slack.clock.advance(timedelta(minutes=1))
    return slack


def test_an_agent_gets_the_report_and_its_chart_in_a_direct_message(busy):
    answer = command(busy, "report 7d", user_id=AGENT)

    assert answer["response_type"] == "ephemeral"
    [post] = busy.fake.calls("chat.postMessage")
    assert post.args["channel"] == AGENT and post.response["channel"] == dm(AGENT)
    assert "Report sent to you in a <https://" in answer["text"]
    assert f"/archives/{dm(AGENT)}/p{post.response['ts'].replace('.', '')}|" in answer["text"]

    report = busy.fake.message(dm(AGENT), post.response["ts"])
    text = str(report["blocks"])
    assert report["blocks"][0]["text"]["text"] == "Ticket report, last 7 days"
    for expected in (
        "*Raised*\\n3",
        "*Closed*\\n1",
        "*Open now*\\n2",
        "*Deadlines met*\\n100% (1 of 1)",
        "*Resolution*\\nmedian 2 h, 90% within 2 h",
        "• Slash command: 1 (33%)",
        "• Reaction: 1 (33%)",
        "• App Home: 1 (33%)",
        "• Hardware: 1 (33%)",
        # Names, not mentions: a report in a channel must not ping the people it lists.
        f"• User {AGENT}: 1 (33%)",
        "• Unassigned: 1 (33%)",
    ):
        assert expected in text
    assert f"<@{AGENT}>" not in text

    [complete] = busy.fake.calls("files.completeUploadExternal")
    assert complete.args["channel_id"] == dm(AGENT)  # the DM's id: a user id is refused
    [file] = complete.args["files"]
    assert file["title"] == "Ticket report, last 7 days"
    [upload] = busy.fake.calls("files.getUploadURLExternal")
    assert upload.args["filename"] == "ticket-report-7d.png"
    assert "bar charts" in upload.args["alt_txt"]
    png = busy.fake.uploads[file["id"]]
    assert png.startswith(PNG) and 10_000 < len(png) < 1_000_000
    calls = [c.method for c in busy.fake.calls()]
    assert calls.index("chat.postMessage") < calls.index("files.completeUploadExternal")


def test_admins_may_ask_for_a_month(busy):
    command(busy, "report 2026-11", user_id=ADMIN)
    [post] = busy.fake.calls("chat.postMessage")
    assert post.args["channel"] == ADMIN
    assert post.args["blocks"][0]["text"]["text"] == "Ticket report, 2026-11"
    assert busy.fake.calls("files.completeUploadExternal")


@pytest.mark.parametrize("user_id", [REQUESTER, OTHER])
def test_requesters_are_politely_refused(busy, user_id):
    answer = command(busy, "report", user_id=user_id)
    assert answer["response_type"] == "ephemeral"
    assert "Reports are for agents and admins" in answer["text"]
    busy.settle()
    assert busy.fake.calls("chat.postMessage") == []
    assert busy.fake.calls("files.getUploadURLExternal") == []


@pytest.mark.parametrize("period", ["12d", "2026-13", "2027-01", "<!channel>"])
def test_an_unknown_period_names_the_periods_and_sends_nothing(busy, period):
    answer = command(busy, f"report {period}", user_id=AGENT)
    assert answer["text"] in (
        "Unknown period. Try 7d, 30d, 90d or a month such as 2026-11.",
        "2027-01 has not started yet.",
    )
    busy.settle()
    assert busy.fake.calls("chat.postMessage") == []


def test_an_empty_period_says_so_and_sends_no_chart(slack):
    seed_ticket(slack, "Old one")
    slack.clock.advance(timedelta(days=40))
    command(slack, "report 30d", user_id=AGENT)
    [post] = slack.fake.calls("chat.postMessage")
    assert "Nothing happened in this period" in post.args["text"]
    assert "*Open now: 1, by age*" in str(post.args["blocks"])
    assert slack.fake.calls("files.getUploadURLExternal") == []


def test_a_refused_chart_leaves_the_figures_and_says_why(busy):
    busy.fake.fail_next("files.getUploadURLExternal", status=200, error="missing_scope")
    answer = command(busy, "report", user_id=AGENT)
    assert "Slack refused its chart (missing_scope)" in answer["text"]
    [post] = busy.fake.calls("chat.postMessage")
    assert post.args["blocks"][2]["fields"][0]["text"] == "*Raised*\n3"
    assert busy.fake.uploads == {}
    # The message no longer points at a chart below it.
    shown = busy.fake.message(post.response["channel"], post.response["ts"])
    assert "chart" not in str(shown["blocks"]) and "*Raised*" in str(shown["blocks"])


def test_help_mentions_the_report(slack):
    answer = command(slack, "help")
    assert "report [7d|30d|90d|YYYY-MM]" in answer["blocks"][0]["text"]["text"]


@pytest.fixture
def two_queues(database, fake_slack, clock):
    from tests.support.scenario import start_scenario
    from ticketbot.config import TicketbotConfig

    config = TicketbotConfig.model_validate(
        {
            "admins": [ADMIN],
            "queues": [
                {"name": "IT", "triage_channel": "C0ITDESK01", "agents": [AGENT]},
                {"name": "HR", "triage_channel": "C0HRDESK01", "agents": [AGENT_2]},
            ],
        }
    )
    for slack in start_scenario(database, fake_slack, clock, config):
        seed_ticket(slack, "Printer jammed", queue="it")
        seed_ticket(slack, "VPN down", queue="it")
        seed_ticket(slack, "Payslip wrong", queue="hr")
        slack.clock.advance(timedelta(minutes=1))
        yield slack


def _report_text(slack, user_id: str) -> str:
    [post] = slack.fake.calls("chat.postMessage")[-1:]
    assert post.args["channel"] == user_id
    return str(slack.fake.message(dm(user_id), post.response["ts"])["blocks"])


def test_a_report_covers_the_queues_its_reader_works(two_queues):
    slack = two_queues
    command(slack, "report 7d", user_id=AGENT)
    it_only = _report_text(slack, AGENT)
    assert "*Raised*\\n2" in it_only and "Queues: IT" in it_only
    assert "By queue" not in it_only  # one queue: nothing to split

    command(slack, "report 7d", user_id=ADMIN)
    everything = _report_text(slack, ADMIN)
    assert "*Raised*\\n3" in everything
    assert "• IT: 2 (67%)" in everything and "• HR: 1 (33%)" in everything

    command(slack, "report 7d queue hr", user_id=ADMIN)
    assert "*Raised*\\n1" in _report_text(slack, ADMIN)


def test_a_report_of_another_queue_is_refused(two_queues):
    slack = two_queues
    posted = len(slack.fake.calls("chat.postMessage"))
    answer = command(slack, "report 30d queue HR", user_id=AGENT)
    assert answer["text"] == "You do not work the HR queue: its report is for its agents."
    answer = command(slack, "report queue Legal", user_id=AGENT)
    assert answer["text"] == "There is no queue called Legal. The queues are: IT, HR."
    assert len(slack.fake.calls("chat.postMessage")) == posted  # no report sent
