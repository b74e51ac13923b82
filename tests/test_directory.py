"""Roles from the config: user ids or user groups, resolved through Slack and cached."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from ticketbot.config import TicketbotConfig
from ticketbot.directory import Directory
from ticketbot.services.access import Role


def _directory(clock) -> Directory:
    config = TicketbotConfig.model_validate(
        {"agents": ["U0AGT0001", "S0AGENTS1"], "admins": ["S0MANAGERS"]}
    )
    return Directory(lambda: config, clock)


def test_user_groups_resolve_and_are_cached(fake_slack, clock):
    fake_slack.usergroups["S0AGENTS1"] = ["U0GRP0001"]
    fake_slack.usergroups["S0MANAGERS"] = ["U0BOSS001"]
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    directory = _directory(clock)
    assert directory.viewer(client, "U0AGT0001").role is Role.AGENT
    assert directory.viewer(client, "U0GRP0001").role is Role.AGENT
    assert directory.viewer(client, "U0BOSS001").role is Role.ADMIN
    assert directory.viewer(client, "U0NOBODY1").role is Role.REQUESTER
    lookups = len(fake_slack.calls("usergroups.users.list"))
    directory.viewer(client, "U0GRP0001")
    assert len(fake_slack.calls("usergroups.users.list")) == lookups  # cached
    fake_slack.usergroups["S0AGENTS1"] = []
    clock.advance(timedelta(minutes=6))
    assert directory.viewer(client, "U0GRP0001").role is Role.REQUESTER  # cache expired


def test_a_slack_error_keeps_the_last_known_members(fake_slack, clock):
    fake_slack.usergroups["S0AGENTS1"] = ["U0GRP0001"]
    fake_slack.usergroups["S0MANAGERS"] = []
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    directory = _directory(clock)
    assert directory.viewer(client, "U0GRP0001").role is Role.AGENT
    clock.advance(timedelta(minutes=6))
    fake_slack.fail_next("usergroups.users.list", status=200, error="ratelimited", times=2)
    assert directory.viewer(client, "U0GRP0001").role is Role.AGENT
