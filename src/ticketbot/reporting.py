"""Reports in Slack: the figures as a message, then the chart uploaded into the same
conversation; and the weekly report, posted once per week across replicas.

A report goes to a conversation, never as an ephemeral message: ephemeral messages cannot
carry files and vanish on reload, while a direct message keeps the report and its chart
together, searchable, and easy to forward."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ticketbot.config import WEEKDAYS
from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services.periods import Period, due_report_day, previous_week, week_key
from ticketbot.services.reports import Report, build_report
from ticketbot.services.scheduled_runs import claim_run, finish_run, run_finished
from ticketbot.views.report import report_message, report_title
from ticketbot.views.report_chart import chart_alt_text, report_chart

logger = logging.getLogger("ticketbot.reports")
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError)
WEEKLY_JOB = "weekly_report"
# An unfinished weekly run (failed post, crashed replica) is tried again after this long.
WEEKLY_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Delivered:
    channel: str
    ts: str
    chart_error: str | None  # why the chart is missing, when Slack refused it


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or type(error).__name__)[:200]


def display_names(client: WebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """Names for the report: a mention would notify everyone listed in a channel."""
    names = {}
    for user_id in user_ids:
        try:
            user = client.users_info(user=user_id)["user"]
        except SLACK_FAILURES as error:
            logger.info("no name for %s: %s", user_id, _reason(error))
            continue
        profile = user.get("profile") or {}
        names[user_id] = (
            profile.get("real_name") or profile.get("display_name") or user.get("name") or user_id
        )
    return names


def make_report(runtime: Runtime, *, workspace_id: str | None, period: Period) -> Report:
    with runtime.database.snapshot() as session:
        return build_report(
            session=session, workspace_id=workspace_id, period=period, now=runtime.clock.now()
        )


def deliver_report(
    client: WebClient, channel: str, report: Report, *, weekly: bool = False
) -> Delivered:
    """Post the report to `channel` (a channel or a user id), then its chart beside it."""
    names = display_names(client, [user for user, _n in report.by_assignee if user])
    chart = not report.empty
    text = report_message(report, names=names, weekly=weekly, chart=chart)
    posted = client.chat_postMessage(channel=channel, **text)
    where, ts = posted["channel"], posted["ts"]
    if not chart:
        return Delivered(where, ts, None)
    try:
        client.files_upload_v2(
            channel=where,  # the conversation id: a DM's D..., which a user id is not
            content=report_chart(report, weekly=weekly),
            filename=f"ticket-report-{report.period.key}.png",
            title=report_title(report.period, weekly=weekly),
            alt_txt=chart_alt_text(report),
            request_file_info=False,
        )
    except SLACK_FAILURES as error:
        # The figures are all in the message; only the picture of them is missing, so the
        # message stops announcing it.
        logger.warning("report chart not uploaded to %s: %s", where, _reason(error))
        without = report_message(report, names=names, weekly=weekly, chart=False)
        try:
            client.chat_update(channel=where, ts=ts, **without)
        except SLACK_FAILURES:
            logger.info("report in %s still announces its chart", where)
        return Delivered(where, ts, _reason(error))
    return Delivered(where, ts, None)


def send_weekly_report_if_due(
    runtime: Runtime, client: WebClient, *, now: datetime | None = None
) -> bool:
    """Post this week's report once its time has come, unless a replica already has."""
    weekly, channel = runtime.config.reports.weekly, runtime.config.weekly_report_channel
    if weekly is None or channel is None:
        return False
    now = now or runtime.clock.now()
    zone = runtime.config.report_timezone
    day = due_report_day(weekday=WEEKDAYS.index(weekly.day), at=weekly.time, timezone=zone, now=now)
    if day is None:
        return False
    run = week_key(day)
    # Most ticks find the run done: a read, so they take no write lock.
    with runtime.database.snapshot() as session:
        if run_finished(session=session, job=WEEKLY_JOB, period=run):
            return False
    with runtime.database.transaction() as session:
        if not claim_run(session=session, job=WEEKLY_JOB, period=run, now=now, lease=WEEKLY_LEASE):
            return False
    # One bot token serves one workspace: its tickets are the report's.
    workspace_id = client.auth_test().get("team_id")
    report = make_report(
        runtime, workspace_id=workspace_id, period=previous_week(day, timezone=zone)
    )
    with speaking(runtime.config.channel_language):  # read by the whole channel
        delivered = deliver_report(client, channel, report, weekly=True)
    with runtime.database.transaction() as session:
        finish_run(session=session, job=WEEKLY_JOB, period=run, now=runtime.clock.now())
    logger.info("weekly report %s posted to %s", run, delivered.channel)
    return True
