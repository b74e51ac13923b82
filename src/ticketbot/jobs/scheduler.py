"""Runs the scheduled passes on a timer inside `serve` and `socket` (APScheduler)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from ticketbot.jobs.cards import catch_up_cards
from ticketbot.jobs.sla_alerts import run_pass
from ticketbot.jobs.webhooks import deliver_webhooks
from ticketbot.jobs.weekly_report import send_weekly_report_if_due
from ticketbot.runtime import Runtime
from ticketbot.services.events import forget_old_events

logger = logging.getLogger("ticketbot.sla")


def tick(runtime: Runtime, client: WebClient) -> None:
    """One scheduled pass; an error is logged and the next pass tries again."""
    try:
        catch_up_cards(runtime, client)
        report = run_pass(runtime, client)
        if report.sent or report.failed:
            logger.info(
                "SLA pass: %d sent, %d failed, %d digests",
                len(report.sent),
                len(report.failed),
                report.digests,
            )
        with runtime.database.transaction() as session:
            forget_old_events(session=session, now=runtime.clock.now())
    except Exception:
        logger.exception("SLA pass failed; the next one retries")
    try:
        send_weekly_report_if_due(runtime, client)
    except Exception:
        logger.exception("weekly report failed; a later pass retries it")
    try:  # apart from the SLA pass, so neither one's trouble holds the other back
        deliver_webhooks(runtime)
    except Exception:
        logger.exception("webhook delivery pass failed; the next one retries")


def start_scheduler(runtime: Runtime, client: WebClient) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        seconds=runtime.config.sla.check_interval_seconds,
        args=[runtime, client],
        id="sla-pass",
        max_instances=1,  # a slow pass is never overlapped by the next
        coalesce=True,
    )
    scheduler.start()
    return scheduler


class Background:
    """What a process runs besides answering requests: the work after the acks, the card
    deliverer and the webhook dispatcher (both woken by changes), and the scheduled passes."""

    def __init__(self, runtime: Runtime, client: WebClient, work, *, schedule: bool) -> None:
        from ticketbot.jobs.cards import start_card_deliverer
        from ticketbot.jobs.webhooks import start_dispatcher

        self.work = work
        self.dispatcher = start_dispatcher(runtime)
        self.cards = start_card_deliverer(runtime, client)
        self.scheduler = start_scheduler(runtime, client) if schedule else None

    def stop(self, timeout: float = 20.0) -> None:
        """Finish what was started (SIGTERM): scheduled passes, then the work after the
        acks, then what that work woke."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        self.work.shutdown(wait=True)
        for nudged in (self.cards, self.dispatcher):
            if nudged is not None:
                nudged.stop(timeout)
