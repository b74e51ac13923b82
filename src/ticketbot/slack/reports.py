"""Delivering a report in Slack: the figures as a message, then the chart uploaded into the
same conversation.

A report goes to a conversation, never as an ephemeral message: ephemeral messages cannot
carry files and vanish on reload, while a direct message keeps the report and its chart
together, searchable, and easy to forward."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.runtime import Runtime
from ticketbot.services.errors import InvalidInput
from ticketbot.services.periods import Period, parse_period
from ticketbot.services.queues import find_queue
from ticketbot.services.reports import Report, build_report
from ticketbot.slack.client import SLACK_FAILURES, failure_reason
from ticketbot.slack.request import permalink
from ticketbot.views.notices import notice
from ticketbot.views.report import report_message, report_sent, report_title
from ticketbot.views.report_chart import chart_alt_text, report_chart

logger = logging.getLogger("ticketbot.reports")


@dataclass(frozen=True)
class Delivered:
    channel: str
    ts: str
    chart_error: str | None  # why the chart is missing, when Slack refused it


def display_names(client: WebClient, user_ids: Iterable[str]) -> dict[str, str]:
    """Names for the report: a mention would notify everyone listed in a channel."""
    names = {}
    for user_id in user_ids:
        try:
            user = client.users_info(user=user_id)["user"]
        except SLACK_FAILURES as error:
            logger.info("no name for %s: %s", user_id, failure_reason(error))
            continue
        profile = user.get("profile") or {}
        names[user_id] = (
            profile.get("real_name") or profile.get("display_name") or user.get("name") or user_id
        )
    return names


def make_report(
    runtime: Runtime,
    *,
    workspace_id: str | None,
    period: Period,
    queues: Collection[str] | None = None,
) -> Report:
    with runtime.database.snapshot() as session:
        return build_report(
            session=session, workspace_id=workspace_id, period=period,
            now=runtime.clock.now(), queues=queues,
        )  # fmt: skip


def deliver_report(
    client: WebClient,
    channel: str,
    report: Report,
    *,
    weekly: bool = False,
    queue_names: Mapping[str, str] | None = None,
) -> Delivered:
    """Post the report to `channel` (a channel or a user id), then its chart beside it."""
    names = display_names(client, [user for user, _n in report.by_assignee if user])
    chart = not report.empty
    text = report_message(report, names=names, weekly=weekly, chart=chart, queue_names=queue_names)
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
        logger.warning("report chart not uploaded to %s: %s", where, failure_reason(error))
        without = report_message(
            report, names=names, weekly=weekly, chart=False, queue_names=queue_names
        )
        try:
            client.chat_update(channel=where, ts=ts, **without)
        except SLACK_FAILURES:
            logger.info("report in %s still announces its chart", where)
        return Delivered(where, ts, failure_reason(error))
    return Delivered(where, ts, None)


_QUEUE_WORD = re.compile(r"(?:^|\s)queue\s+", re.IGNORECASE)


def queue_names(config) -> dict[str, str]:
    return {queue.key: queue.name for queue in config.desks}


def report_scope(config, viewer, text: str) -> tuple[str, frozenset[str] | None]:
    """The period's words and the queues a report covers: the one named after `queue`
    (which the asker must work), else every queue they work (None: all of them)."""
    parts = _QUEUE_WORD.split(text or "", maxsplit=1)
    if len(parts) == 1:
        return text, viewer.queues
    chosen = find_queue(config, parts[1])
    if not viewer.works(chosen.key):
        raise InvalidInput(
            _("You do not work the {queue} queue: its report is for its agents.").format(
                queue=chosen.name
            )
        )
    return parts[0].strip(), frozenset({chosen.key})


def send_report(
    runtime: Runtime, client: WebClient, respond, *, workspace_id: str, viewer, text: str
) -> None:
    """`/ticket report [7d|30d|90d|YYYY-MM] [queue NAME]`: the report of the queues the
    asker works (or of the one named), sent to them in a direct message, and an ephemeral
    pointer to it."""
    if not viewer.is_agent:
        respond(
            response_type="ephemeral",
            **notice(_("Reports are for agents and admins. An admin can share one with you.")),
        )
        return
    try:
        period_text, queues = report_scope(runtime.config, viewer, text)
        period = parse_period(
            period_text, now=runtime.clock.now(), timezone=runtime.config.report_timezone
        )
    except InvalidInput as error:
        respond(response_type="ephemeral", **notice(error.message))
        return
    report = make_report(runtime, workspace_id=workspace_id, period=period, queues=queues)
    # Ephemeral messages cannot carry the chart: the report goes to a direct message.
    delivered = deliver_report(
        client, viewer.user_id, report, queue_names=queue_names(runtime.config)
    )
    link = permalink(client, delivered.channel, delivered.ts)
    respond(response_type="ephemeral", **report_sent(link, chart_error=delivered.chart_error))
