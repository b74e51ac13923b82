"""The weekly report, posted once per week across replicas."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from ticketbot.config import WEEKDAYS
from ticketbot.i18n import speaking
from ticketbot.runtime import Runtime
from ticketbot.services.periods import due_report_day, previous_week, week_key
from ticketbot.services.scheduled_runs import claim_run, finish_run, run_finished
from ticketbot.slack.reports import deliver_report, make_report, queue_names

logger = logging.getLogger("ticketbot.reports")
WEEKLY_JOB = "weekly_report"
# An unfinished weekly run (failed post, crashed replica) is tried again after this long.
WEEKLY_LEASE = timedelta(minutes=15)


def send_weekly_report_if_due(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    workspace_id: str | None = None,
) -> bool:
    """Post this week's report once its time has come, unless a replica already has.
    `workspace_id`: the workspace of `client` when it is one of many (each has its own
    report, run once a week each); None: the one of SLACK_BOT_TOKEN."""
    weekly, channel = runtime.config.reports.weekly, runtime.config.weekly_report_channel
    if weekly is None or channel is None:
        return False
    now = now or runtime.clock.now()
    zone = runtime.config.report_timezone
    day = due_report_day(weekday=WEEKDAYS.index(weekly.day), at=weekly.time, timezone=zone, now=now)
    if day is None:
        return False
    run = week_key(day)
    job = WEEKLY_JOB if workspace_id is None else f"{WEEKLY_JOB}:{workspace_id}"
    # Most ticks find the run done: a read, so they take no write lock.
    with runtime.database.snapshot() as session:
        if run_finished(session=session, job=job, period=run):
            return False
    with runtime.database.transaction() as session:
        if not claim_run(session=session, job=job, period=run, now=now, lease=WEEKLY_LEASE):
            return False
    if workspace_id is None:  # one bot token serves one workspace: its tickets are the report's
        workspace_id = client.auth_test().get("team_id")
    report = make_report(
        runtime, workspace_id=workspace_id, period=previous_week(day, timezone=zone)
    )
    with speaking(runtime.config.channel_language):  # read by the whole channel
        delivered = deliver_report(
            client, channel, report, weekly=True, queue_names=queue_names(runtime.config)
        )
    with runtime.database.transaction() as session:
        finish_run(session=session, job=job, period=run, now=runtime.clock.now())
    logger.info("weekly report %s posted to %s", run, delivered.channel)
    return True
