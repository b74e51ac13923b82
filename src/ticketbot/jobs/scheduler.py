"""Runs the scheduled passes on a timer inside `serve` and `socket` (APScheduler).

Installed by many workspaces, each pass that speaks to Slack runs once per installed
workspace, with that workspace's client and settings (`acting_for`) and on its tickets only;
a workspace that uninstalled the bot has no more passes. Webhooks and the retention purge
are the bot's own and run once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from ticketbot.jobs.background import OUTAGES, database_outage
from ticketbot.jobs.cards import deliver_cards, deliver_statuses
from ticketbot.jobs.messages import deliver_messages
from ticketbot.jobs.retention import PurgeReport, purge_old_rows
from ticketbot.jobs.sla_alerts import PassReport, run_pass
from ticketbot.jobs.waiting import WaitingReport, remind_and_close
from ticketbot.jobs.webhooks import DeliveryReport, deliver_webhooks
from ticketbot.jobs.weekly_report import send_weekly_report_if_due
from ticketbot.pacing import background
from ticketbot.runtime import Runtime, acting_for
from ticketbot.slack.workspaces import Workspaces

logger = logging.getLogger("ticketbot.sla")


@dataclass
class TickReport:
    """What one run of every scheduled pass did; `failed` names the passes that raised."""

    cards: int = 0
    statuses: int = 0
    messages: int = 0
    sla: PassReport | None = None
    waiting: WaitingReport | None = None
    weekly_report: bool = False
    webhooks: DeliveryReport | None = None
    purged: PurgeReport | None = None
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = []
        if self.sla is not None:
            sla = self.sla
            lines.append(
                f"deadline warnings: {len(sla.sent)} sent, {len(sla.failed)} failed, "
                f"{sla.digests} digest(s)"
            )
        if self.waiting is not None:
            lines.append(
                f"waiting on requesters: {len(self.waiting.reminded)} reminded, "
                f"{len(self.waiting.closed)} closed"
            )
        lines.append(f"cards: {self.cards} brought up to date")
        lines.append(f"status messages: {self.statuses} brought up to date")
        lines.append(f"messages: {self.messages} posted")
        lines.append(f"weekly report: {'posted' if self.weekly_report else 'not due'}")
        if self.webhooks is not None:
            hooks = self.webhooks
            lines.append(
                f"webhooks: {len(hooks.delivered)} delivered, {len(hooks.retrying)} to retry, "
                f"{len(hooks.failed)} given up"
            )
        if self.purged is not None:
            purged = self.purged
            lines.append(
                f"purged: {purged.outbox} old outbox rows, {purged.events} processed events"
                + ("" if purged.finished else " (more next pass)")
            )
        return lines + [f"failed: {name} (see the log)" for name in self.failed]


def served(slack: WebClient | Workspaces) -> Workspaces:
    """The workspaces of a client (the one of SLACK_BOT_TOKEN) or the workspaces given."""
    return slack if isinstance(slack, Workspaces) else Workspaces(slack)


def tick(runtime: Runtime, slack: WebClient | Workspaces) -> TickReport:
    """Every scheduled pass, once, each apart so that one's trouble holds no other back; an
    error is logged and the next tick tries again. `slack`: the one workspace's client, or
    the workspaces served."""
    report = TickReport()
    outage: list[bool] = []  # one per failed pass: whether the database was the cause

    def run(name: str, work, workspace: str | None = None) -> None:
        try:
            with background():  # people's requests go first
                work()
        except Exception as error:
            where = f" for workspace {workspace}" if workspace else ""
            database_outage.failed(f"{name}{where}", error, "the next one retries")
            if name not in report.failed:
                report.failed.append(name)
            outage.append(isinstance(error, OUTAGES))

    def for_workspace(client: WebClient, workspace_id: str | None):
        def cards() -> None:
            report.cards += deliver_cards(runtime, client, workspace_id=workspace_id)[1]
            report.statuses += deliver_statuses(runtime, client, workspace_id=workspace_id)[1]
            report.messages += deliver_messages(runtime, client, workspace_id=workspace_id)[1]

        def sla() -> None:
            done = run_pass(runtime, client, workspace_id=workspace_id)
            report.sla = done if report.sla is None else report.sla.add(done)
            if done.sent or done.failed:
                logger.info(
                    "SLA pass: %d sent, %d failed, %d digests",
                    len(done.sent),
                    len(done.failed),
                    done.digests,
                )

        def waiting() -> None:
            if runtime.config.conversation.auto_close_days:
                done = remind_and_close(runtime, client, workspace_id=workspace_id)
                report.waiting = done if report.waiting is None else report.waiting.add(done)

        def weekly() -> None:
            if send_weekly_report_if_due(runtime, client, workspace_id=workspace_id):
                report.weekly_report = True

        return (
            ("deadline warnings", sla),  # first: it marks the cards of the tickets it warns of
            ("waiting tickets", waiting),  # before the cards too: it closes some
            ("cards", cards),
            ("weekly report", weekly),
        )

    def purge() -> None:
        report.purged = purge_old_rows(runtime)

    def webhooks() -> None:
        report.webhooks = deliver_webhooks(runtime)

    for workspace in served(slack).serving():
        with acting_for(workspace.workspace_id):  # its settings, its tickets, its client
            for name, work in for_workspace(workspace.client, workspace.workspace_id):
                run(name, work, workspace.workspace_id)
    for name, work in (
        ("webhooks", webhooks),
        ("retention", purge),  # last: housekeeping after the work people wait for
    ):
        run(name, work)
    if not any(outage):  # some passes need no database: only a whole tick says it is back
        database_outage.passed()
    return report


DELIVERY_POLL_SECONDS = 5


def start_scheduler(runtime: Runtime, slack: WebClient | Workspaces) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        seconds=runtime.config.sla.check_interval_seconds,
        args=[runtime, slack],
        id="sla-pass",
        max_instances=1,  # a slow pass is never overlapped by the next
        coalesce=True,
    )
    # Every process wakes its deliverer now and then: the changes another worker or replica
    # accepted kick only that one's, which then works through a burst at its share of Slack's
    # budget alone while the others' shares go unused.
    scheduler.add_job(
        _wake_deliverer,
        "interval",
        seconds=DELIVERY_POLL_SECONDS,
        args=[runtime],
        id="deliverer-wake",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def _wake_deliverer(runtime: Runtime) -> None:
    if runtime.deliverer is not None:
        runtime.deliverer.kick()


class Background:
    """What a process runs besides answering requests: the work after the acks, the deliverer
    of cards and messages and the webhook dispatcher (both woken by changes), and the
    scheduled passes."""

    def __init__(
        self, runtime: Runtime, slack: WebClient | Workspaces, work, *, schedule: bool
    ) -> None:
        from ticketbot.jobs.cards import start_deliverer
        from ticketbot.jobs.webhooks import start_dispatcher

        self.work = work
        self.workspaces = workspaces = served(slack)
        self.dispatcher = start_dispatcher(runtime)
        self.deliverer = start_deliverer(runtime, workspaces)
        self.scheduler = start_scheduler(runtime, workspaces) if schedule else None

    def stop(self, timeout: float = 20.0) -> None:
        """Finish what was started (SIGTERM): scheduled passes, then the work after the
        acks, then what that work woke."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.work.shutdown(wait=True)
        for nudged in (self.deliverer, self.dispatcher):
            if nudged is not None:
                nudged.stop(timeout)
