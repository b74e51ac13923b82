"""The settings a workspace keeps in the database, from Slack's side: which workspace is
home (single-workspace mode), and the first version of a workspace's settings, seeded from
ticketbot.yml at start or when it installs the bot."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from ticketbot.runtime import Runtime
from ticketbot.services import settings as stored
from ticketbot.slack.client import SLACK_FAILURES, failure_reason

logger = logging.getLogger("ticketbot.settings")


def settle_home(runtime: Runtime, client: WebClient) -> str | None:
    """At start: learn the installing workspace from the bot token (auth.test) and seed its
    stored settings from ticketbot.yml when it has none yet. None: Slack did not say (the
    first request will tell; the file's settings apply until then)."""
    try:
        workspace = client.auth_test().get("team_id")
    except SLACK_FAILURES as error:
        logger.warning("workspace not known at start: %s", failure_reason(error))
        return None
    if not workspace:
        return None
    runtime.home_workspace = workspace
    seed_settings(runtime, workspace)
    return workspace


def seed_settings(runtime: Runtime, workspace_id: str) -> None:
    """Version 1 of a workspace's settings from ticketbot.yml, unless it has some: at start,
    and when a workspace installs the bot."""
    with runtime.database.transaction() as session:
        seeded = stored.seed(
            session=session, workspace_id=workspace_id, file_config=runtime.file_config,
            now=runtime.clock.now(),
        )  # fmt: skip
    if seeded is not None:
        logger.info("settings of %s seeded from %s (version 1)", workspace_id, stored.FILE)
