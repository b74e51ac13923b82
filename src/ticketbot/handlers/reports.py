"""`/ticket report [7d|30d|90d|YYYY-MM]`: the report, sent to the asker in a direct message."""

from __future__ import annotations

from slack_bolt import Respond
from slack_sdk import WebClient

from ticketbot.handlers.common import permalink, workspace_of
from ticketbot.i18n import _
from ticketbot.reporting import deliver_report, make_report
from ticketbot.services.access import Viewer
from ticketbot.services.errors import InvalidInput
from ticketbot.services.periods import parse_period
from ticketbot.views.notices import notice
from ticketbot.views.report import report_sent


def report_command(
    runtime, client: WebClient, respond: Respond, *, body: dict, viewer: Viewer, text: str
) -> None:
    if not viewer.is_agent:
        respond(
            response_type="ephemeral",
            **notice(_("Reports are for agents and admins. An admin can share one with you.")),
        )
        return
    try:
        period = parse_period(
            text, now=runtime.clock.now(), timezone=runtime.config.report_timezone
        )
    except InvalidInput as error:
        respond(response_type="ephemeral", **notice(error.message))
        return
    report = make_report(runtime, workspace_id=workspace_of(body), period=period)
    # Ephemeral messages cannot carry the chart: the report goes to a direct message.
    delivered = deliver_report(client, viewer.user_id, report)
    link = permalink(client, delivered.channel, delivered.ts)
    respond(response_type="ephemeral", **report_sent(link, chart_error=delivered.chart_error))
