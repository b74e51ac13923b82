"""The operator's commands: migrate, run the scheduled passes once, export, back up, check the
configuration."""

from __future__ import annotations

import argparse
import sys

from ticketbot.cli.common import open_runtime, parse_now, upgrade_database
from ticketbot.config import ConfigError


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from ticketbot.store.migrate import current_revision

    runtime = open_runtime()
    upgrade_database(runtime)
    print(f"database at revision {current_revision(runtime.database)}")
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    """Every scheduled pass once, for cron or a Kubernetes CronJob instead of the timer that
    runs inside `serve` and `socket`."""
    from ticketbot.clock import FakeClock
    from ticketbot.jobs.scheduler import tick
    from ticketbot.logs import configure_logging
    from ticketbot.runtime import Runtime
    from ticketbot.slack.workspaces import workspaces_of

    at = parse_now(args.now)
    runtime = Runtime.from_environment(clock=FakeClock(at) if at else None)
    configure_logging(runtime.settings.log_level, runtime.settings.log_format)
    upgrade_database(runtime)
    report = tick(runtime, workspaces_of(runtime.settings, runtime.database, runtime.pacer))
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def cmd_sla_tick(args: argparse.Namespace) -> int:
    from ticketbot.jobs.sla_alerts import due_warnings, run_pass
    from ticketbot.jobs.waiting import due_waiting, remind_and_close

    runtime = open_runtime()
    now = parse_now(args.now) or runtime.clock.now()
    upgrade_database(runtime)
    from ticketbot.runtime import acting_for
    from ticketbot.slack.workspaces import Installations, workspaces_of

    if args.dry_run:  # no Slack call at all: each installed workspace's settings and tickets
        teams: list[str | None] = [None]
        if runtime.settings.oauth:
            store = Installations(runtime.settings, runtime.database, runtime.pacer).store
            teams = [workspace.team_id for workspace in store.installed()]
        for team in teams:
            where = f" in {team}" if team else ""
            with acting_for(team):
                lines = due_warnings(runtime, now=now, workspace_id=team)
                for line in lines:
                    print(f"would send {line}{where}")
                print(
                    f"{len(lines)} warning(s) due at {now.isoformat()}{where}; "
                    "nothing sent (dry run)"
                )
                waiting = due_waiting(runtime, now, team)
                closing = sum(1 for *_, close in waiting if close)
                print(
                    f"{len(waiting) - closing} requester(s) to remind, "
                    f"{closing} ticket(s) to close{where}"
                )
        return 0

    for served in workspaces_of(runtime.settings, runtime.database, runtime.pacer).serving():
        where = f" in {served.workspace_id}" if served.workspace_id else ""
        with acting_for(served.workspace_id):
            client, workspace_id = served.client, served.workspace_id
            report = run_pass(runtime, client, now=now, workspace_id=workspace_id)
            for line in report.sent:
                print(f"sent {line}{where}")
            for line in report.failed:
                print(f"failed {line}{where} (kept for the next pass)")
            print(
                f"{len(report.sent)} sent, {len(report.failed)} failed, "
                f"{report.digests} digest(s){where}"
            )
            waited = remind_and_close(runtime, client, now=now, workspace_id=workspace_id)
            for number in waited.reminded:
                print(f"reminded the requester of #{number}{where}")
            for number in waited.closed:
                print(f"closed #{number}{where}: no reply from its requester")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime, time
    from pathlib import Path

    from ticketbot.services.export import export_tickets
    from ticketbot.services.export_files import export_to

    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), time(0), tzinfo=UTC)
        except ValueError:
            raise ConfigError(f"--since: {args.since!r} is not a date (YYYY-MM-DD)") from None
    output = Path(args.output) if args.output else None
    if output is not None and not output.is_dir() and not output.parent.is_dir():
        raise ConfigError(f"--output: the directory {output.parent} does not exist")
    runtime = open_runtime()
    upgrade_database(runtime)
    with runtime.database.snapshot() as session:
        tickets = export_tickets(session=session, since=since)
        count, where = export_to(tickets, fmt=args.format, output=output, stdout=sys.stdout)
    print(f"exported {count} ticket(s) to {where}", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ticketbot.config import load_settings
    from ticketbot.store.backup import BackupError, backup_database

    # Only the environment: a backup needs neither a valid ticketbot.yml nor a migration.
    settings = load_settings()
    try:
        done = backup_database(settings.database_url, Path(args.path), force=args.force)
    except BackupError as error:
        raise ConfigError(str(error)) from None
    print(f"wrote {done.path}: {done.size} bytes, {done.tickets} ticket(s), integrity ok")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from ticketbot.config import config_path, load_config, load_settings

    settings = load_settings()
    config = load_config(settings)
    path = config_path(settings)
    print(f"config ok: {path or 'defaults (no ticketbot.yml)'}")
    print(f"  triage channel: {config.triage_channel or '(none: cards stay with the requester)'}")
    print(f"  agents: {len(config.agents)}, admins: {len(config.admins)}")
    print(f"  categories: {', '.join(config.categories) or '(none)'}")
    if config.queues:
        for desk in config.desks:
            print(
                f"  queue {desk.name} ({desk.key}): triage {desk.triage_channel}, "
                f"requests from {', '.join(desk.request_channels) or '(none)'}, "
                f"{len(desk.agents)} agents, capture {desk.capture}, assign {desk.assign}"
                + (", private" if desk.private else "")
            )
    print(f"  SLA alerts: {config.sla.alert_channel or '(off)'}")
    weekly = config.reports.weekly
    if weekly is not None:
        print(
            f"  weekly report: {weekly.day} {weekly.time:%H:%M} {config.report_timezone} "
            f"-> {config.weekly_report_channel}"
        )
    print(f"  email: {settings.smtp_url or '(off: SMTP_URL not set)'}")
    print(f"  webhooks: {', '.join(h.url for h in config.webhooks) or '(none)'}")
    if settings.oauth:
        sealed = "encrypted" if settings.ticketbot_secret_key else "NOT encrypted"
        print(f"  workspaces: installed from /slack/install (tokens {sealed} at rest)")
    needed = (
        ("slack_signing_secret",) if settings.oauth else ("slack_bot_token", "slack_signing_secret")
    )
    missing = [name.upper() for name in needed if getattr(settings, name) is None]
    if missing:
        print(f"  note: {', '.join(missing)} not set: needed to run the bot")
    return 0
