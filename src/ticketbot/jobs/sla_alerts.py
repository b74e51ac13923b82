"""The SLA pass: claim the warnings that are due, post them, record what happened.

The warnings wait in an outbox worked by the one outbox mechanism (jobs/outbox.py): racing
replicas never claim the same row, a failed post stays pending for a later pass, and a
crashed pass's rows come back when the lease ends."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from ticketbot.config import TicketbotConfig
from ticketbot.i18n import speaking
from ticketbot.jobs.outbox import Outbox, new_token, of_workspace
from ticketbot.runtime import Runtime
from ticketbot.services.alert_plan import (
    ASSIGNEE,
    CANCELLED,
    ESCALATION,
    SENT,
    SUPERSEDED,
    plan_escalation,
)
from ticketbot.services.deadlines import sla_status
from ticketbot.services.refreshes import refresh_card
from ticketbot.slack.client import SLACK_FAILURES, UNCERTAIN, failure_reason
from ticketbot.slack.request import posted_with_metadata
from ticketbot.store.models import SlaAlert, Ticket
from ticketbot.views.alerts import alert_message, digest_message
from ticketbot.vocabulary import Status

logger = logging.getLogger("ticketbot.sla")

LEASE = timedelta(minutes=5)
BATCH = 500
CHANNEL_INTERVAL = 1.0  # Slack allows about one message per second per channel
_KIND_ORDER = {"warning": 0, "breach": 1, "escalation": 2}
ALERT_EVENT = "ticketbot_sla_alert"  # the metadata event type of a deadline warning
OUTBOX = Outbox(SlaAlert, lease=LEASE)


@dataclass
class Delivery:
    alert: SlaAlert
    ticket: Ticket
    channel: str


@dataclass
class PassReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: int = 0
    digests: int = 0

    def lines(self) -> list[str]:
        return self.sent

    def add(self, other: PassReport) -> PassReport:
        """Both passes' outcomes (one per workspace)."""
        return PassReport(
            self.sent + other.sent,
            self.failed + other.failed,
            self.cancelled + other.cancelled,
            self.digests + other.digests,
        )


class Pacer:
    """Keeps posts to one channel at least CHANNEL_INTERVAL apart within a pass."""

    def __init__(self, sleep: Callable[[float], None], monotonic: Callable[[], float]) -> None:
        self._sleep, self._monotonic = sleep, monotonic
        self._last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        last = self._last.get(channel)
        if last is not None:
            gap = CHANNEL_INTERVAL - (self._monotonic() - last)
            if gap > 0:
                self._sleep(gap)
        self._last[channel] = self._monotonic()


def route(config: TicketbotConfig, ticket: Ticket) -> str | None:
    """Where a ticket's deadline warnings go: its queue's first matching route, else its
    queue's alert channel."""
    sla = config.queue(ticket.queue).sla
    for rule in sla.routes:
        if ticket.category in rule.categories or ticket.priority in rule.priorities:
            return rule.channel
    return sla.alert_channel


def _still_due(alert: SlaAlert, ticket: Ticket) -> bool:
    return (
        ticket.status is not Status.CLOSED
        and ticket.paused_at is None
        and ticket.due_at == alert.deadline
    )


def _plan_deliveries(runtime, session, alerts: list[SlaAlert]) -> tuple[list[Delivery], int]:
    """Drop what no longer applies, keep the latest threshold per ticket, find each channel."""
    tickets = {
        t.id: t
        for t in session.scalars(
            select(Ticket).where(Ticket.id.in_({a.ticket_id for a in alerts}))
        ).unique()
    }
    latest: dict[tuple[int, str], SlaAlert] = {}
    dropped = 0
    for alert in alerts:
        ticket = tickets[alert.ticket_id]
        if not _still_due(alert, ticket):
            alert.state, dropped = CANCELLED, dropped + 1
            continue
        key = (alert.ticket_id, alert.target)
        best = latest.get(key)
        rank = (_KIND_ORDER[alert.kind], alert.step)
        if best is None or rank > (_KIND_ORDER[best.kind], best.step):
            if best is not None:
                best.state, dropped = SUPERSEDED, dropped + 1
            latest[key] = alert
        else:
            alert.state, dropped = SUPERSEDED, dropped + 1
    deliveries = []
    for alert in latest.values():
        ticket = tickets[alert.ticket_id]
        channel = ticket.assignee_id if alert.target == ASSIGNEE else route(runtime.config, ticket)
        if not channel:
            alert.state, dropped = CANCELLED, dropped + 1
            continue
        deliveries.append(Delivery(alert, ticket, channel))
    return deliveries, dropped


def _line(delivery: Delivery) -> str:
    alert, ticket = delivery.alert, delivery.ticket
    return (
        f"#{ticket.number} {alert.kind} {alert.step}% -> {delivery.channel}: {ticket.title}"
        if alert.kind == "warning"
        else f"#{ticket.number} {alert.kind} {alert.step} -> {delivery.channel}: {ticket.title}"
    )


def due_warnings(runtime, *, now: datetime, workspace_id: str | None = None) -> list[str]:
    """What a pass would post now, without claiming or sending anything (`--dry-run`)."""
    where = of_workspace(SlaAlert.ticket_id, workspace_id)
    with runtime.database.snapshot() as session:
        alerts = list(session.scalars(OUTBOX.due(now, *where).limit(BATCH)))
        if not alerts:
            return []
        deliveries, _dropped = _plan_deliveries(runtime, session, alerts)
        return [_line(d) for d in deliveries]


def run_pass(
    runtime: Runtime,
    client: WebClient,
    *,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    workspace_id: str | None = None,
) -> PassReport:
    """`workspace_id`: only that workspace's warnings (whose `client` it is); None: all."""
    now = now or runtime.clock.now()
    token = new_token()
    report = PassReport()
    deliveries: list[Delivery] = []

    def prepare(session, alerts: list[SlaAlert]) -> list[SlaAlert]:
        planned, report.cancelled = _plan_deliveries(runtime, session, alerts)
        deliveries.extend(planned)
        return [d.alert for d in planned]

    where = of_workspace(SlaAlert.ticket_id, workspace_id)
    OUTBOX.claim(runtime.database, now=now, token=token, limit=BATCH, where=where, prepare=prepare)
    if not deliveries:
        return report
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        by_channel[delivery.channel].append(delivery)
    pacer = Pacer(sleep, monotonic)
    for channel, group in by_channel.items():
        _post_group(runtime, client, channel, group, now, token, pacer, report)
    # The cards now show "at risk" or "breached" instead of what they showed when posted.
    with runtime.database.transaction() as session:
        for ticket in {d.ticket.id: d.ticket for d in deliveries}.values():
            refresh_card(session=session, ticket=ticket, now=now)
    runtime.slack_changed()
    return report


def _mention(runtime, group: list[Delivery]) -> str | None:
    """The user groups to ping for the escalations of a group (each ticket's queue's)."""
    groups = {
        runtime.config.queue(d.ticket.queue).sla.escalation_usergroup
        for d in group
        if d.alert.kind == ESCALATION
    } - {None}
    return " ".join(f"<!subteam^{g}>" for g in sorted(groups)) or None


def _render(runtime, group: list[Delivery], status) -> list[tuple[list[Delivery], dict]]:
    """One digest when the channel would otherwise be flooded, else one message each."""
    if len(group) >= runtime.config.sla.digest_threshold:
        items = [(d.ticket, status(d.ticket), d.alert.kind, d.alert.step) for d in group]
        return [(group, digest_message(items, mention=_mention(runtime, group)))]
    return [
        (
            [d],
            alert_message(
                d.ticket,
                status(d.ticket),
                kind=d.alert.kind,
                step=d.alert.step,
                mention=_mention(runtime, [d]),
            ),
        )
        for d in group
    ]


def _post_group(runtime, client, channel, group, now, token, pacer, report) -> None:
    def status(ticket: Ticket):
        warn = min(runtime.config.queue(ticket.queue).sla.warn_at, default=0.75)
        return sla_status(ticket, now=now, policy=runtime.policy, warn_at=warn)

    # A channel hears the workspace's language; an assignee's direct message, theirs.
    if all(d.alert.target == ASSIGNEE for d in group):
        language = runtime.directory.language(client, channel)
    else:
        language = runtime.config.channel_language
    with speaking(language):
        batches = _render(runtime, group, status)
    if len(batches) == 1 and len(group) > 1:
        report.digests += 1
    for deliveries, message in batches:
        try:
            deliveries = _not_posted_yet(runtime, client, channel, deliveries, token, now, report)
            if not deliveries:
                continue
            pacer.wait(channel)
            posted = client.chat_postMessage(
                channel=channel, metadata=_metadata(deliveries), **message
            )
        except SLACK_FAILURES as error:
            _record_failure(runtime, deliveries, token, now, failure_reason(error))
            report.failed += [_line(d) for d in deliveries]
            continue
        _record_sent(runtime, deliveries, token, now, posted["channel"], posted["ts"])
        report.sent += [_line(d) for d in deliveries]


def _metadata(deliveries: list[Delivery]) -> dict:
    """Names the warnings a message carries, so a post whose answer was lost can be found."""
    alerts = [d.alert.id for d in deliveries]
    return {"event_type": ALERT_EVENT, "event_payload": {"alerts": alerts}}


def _not_posted_yet(runtime, client, channel, deliveries, token, now, report) -> list[Delivery]:
    """After a post whose answer never came, look before posting again: the warnings it did
    post are recorded as sent, only the others are posted."""
    if not any(d.alert.last_error == UNCERTAIN for d in deliveries):
        return deliveries
    seen: dict[int, tuple[str, str]] = {}
    posted = posted_with_metadata(client, channel, ALERT_EVENT)
    for conversation, ts, payload in posted:
        for alert_id in payload.get("alerts") or []:
            seen.setdefault(alert_id, (conversation, ts))
    for (conversation, ts), done in _by_message(deliveries, seen).items():
        logger.info("SLA warning found posted already in %s; recorded", conversation)
        _record_sent(runtime, done, token, now, conversation, ts)
        report.sent += [_line(d) for d in done]
    return [d for d in deliveries if d.alert.id not in seen]


def _by_message(deliveries: list[Delivery], seen: dict) -> dict[tuple[str, str], list[Delivery]]:
    grouped: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.alert.id in seen:
            grouped[seen[delivery.alert.id]].append(delivery)
    return grouped


def _record_sent(runtime, deliveries, token, now, channel, ts) -> None:
    alerts = {d.alert.id: d.alert for d in deliveries}
    queues = {d.alert.id: d.ticket.queue for d in deliveries}

    def escalate(session, held: list[int]) -> None:
        for alert_id in held:
            if alerts[alert_id].kind in ("breach", ESCALATION):
                policy = runtime.policy.queue(queues[alert_id])  # the ticket's queue's rules
                plan_escalation(session=session, alert=alerts[alert_id], policy=policy, now=now)

    OUTBOX.record(
        runtime.database,
        alerts,
        token,
        then=escalate,
        state=SENT,
        sent_at=now,
        channel_id=channel,
        message_ts=ts,
        attempts=SlaAlert.attempts + 1,
    )


def _record_failure(runtime, deliveries, token, now, reason: str) -> None:
    logger.warning("SLA warning not posted (%s); a later pass retries it", reason)
    for delivery in deliveries:
        OUTBOX.retry(runtime.database, delivery.alert, token, now=now, error=reason)
