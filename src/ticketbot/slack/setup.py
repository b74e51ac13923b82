"""The first run and the channels the bot is invited to, from Slack's side: whether the
workspace is set up yet, the question asked of whoever invited the bot to a channel, and the
settings version their answer makes (slack/settings_forms.py saves it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from ticketbot.config import ConfigError, QueueConfig
from ticketbot.i18n import _, speaking
from ticketbot.runtime import Runtime
from ticketbot.services import settings as stored
from ticketbot.services.access import Role, Viewer
from ticketbot.services.errors import InvalidInput
from ticketbot.slack import settings_forms
from ticketbot.views import setup as views
from ticketbot.views.notices import notice
from ticketbot.views.settings import queue_entries
from ticketbot.views.text import safe

logger = logging.getLogger("ticketbot.setup")


def needs_setup(runtime: Runtime) -> bool:
    """The acting workspace has not been set up yet (services/settings.py says when)."""
    return stored.needs_setup(runtime.config, runtime.file_config)


def not_set_up_notice(runtime: Runtime) -> dict | None:
    """What to answer instead of a ticket until an admin sets ticketbot up; None once set up."""
    if not needs_setup(runtime):
        return None
    return views.not_set_up(runtime.config.admins)


def tell_not_set_up(runtime: Runtime, client: WebClient, channel_id: str, user_id: str) -> None:
    """Privately, where someone tried to raise a ticket (a reaction): not set up yet."""
    client.chat_postEphemeral(
        channel=channel_id, user=user_id, **views.not_set_up(runtime.config.admins)
    )


def greet_invite(
    runtime: Runtime, client: WebClient, *, channel_id: str, inviter: str
) -> None:
    """The bot was invited to a channel: ask the inviter, privately there, what it is for
    (an admin), or tell them who can choose (anyone else)."""
    viewer = runtime.directory.viewer(client, inviter)
    with speaking(runtime.directory.language(client, inviter)):
        if viewer.role is Role.ADMIN:
            queues = [(queue.key, queue.name) for queue in runtime.config.desks]
            said = views.role_question(channel_id, queues, first_run=needs_setup(runtime))
        else:
            said = views.role_refused_to(runtime.config.admins)
    client.chat_postEphemeral(channel=channel_id, user=inviter, **said)


def _index_of(entries: list[dict[str, Any]], key: str) -> int:
    for index, entry in enumerate(entries):
        if (entry.get("key") or QueueConfig(name=entry.get("name") or "queue").slug) == key:
            return index
    raise InvalidInput(_("That queue is no longer set up. Invite me again to choose."))


def role_document(document: dict, *, role: str, key: str | None, channel_id: str) -> dict:
    """The settings with `channel_id` in its new role: a request channel of queue `key`
    (and no other queue's), its triage channel, or the deadline alerts channel."""
    if role == views.ALERT:
        sla = {**(document.get("sla") or {}), "alert_channel": channel_id}
        return {**document, "sla": sla}
    entries = [dict(q) for q in queue_entries(document)]
    chosen = entries[_index_of(entries, key or "")]
    chosen.setdefault("key", key)  # renaming it later must not move its tickets
    if role == views.REQUESTS:
        for entry in entries:  # a channel feeds one queue
            channels = [c for c in entry.get("request_channels") or [] if c != channel_id]
            entry.pop("request_channels", None)
            if channels:
                entry["request_channels"] = channels
        chosen["request_channels"] = [*(chosen.get("request_channels") or []), channel_id]
    else:
        chosen["triage_channel"] = channel_id
    return {**{k: v for k, v in document.items() if k != "queues"}, "queues": entries}


def choose_role(
    runtime: Runtime, client: WebClient, *, workspace_id: str, viewer: Viewer | None,
    channel_id: str, value: str,
) -> dict:  # fmt: skip
    """Make the channel what the inviter chose: a new settings version by them. The message
    that replaces the question (what changed, or why nothing did)."""
    if viewer is None or viewer.role is not Role.ADMIN:
        return views.role_refused_to(runtime.config.admins)
    role, _sep, key = value.partition(":")
    if role == views.NOTHING:
        return notice(_("Fine: <#{channel}> has no role in ticketbot.").format(channel=channel_id))
    if role not in (views.REQUESTS, views.TRIAGE, views.ALERT):
        raise InvalidInput(_("That choice is not offered any more. Invite me again to choose."))
    document, version = settings_forms.current(runtime, workspace_id)
    changed = role_document(document, role=role, key=key, channel_id=channel_id)
    name = ""
    if role != views.ALERT:
        entries = queue_entries(changed)
        queue = entries[_index_of(entries, key)]
        name = safe(queue.get("name"), 40)
        refused = settings_forms.public_triage(client, queue) if role == views.TRIAGE else None
        if refused:
            return notice(_("Nothing was changed:") + " " + refused)
    try:
        settings_forms.store(runtime, workspace_id=workspace_id, admin=viewer,
                             document=changed, base_version=version)  # fmt: skip
    except ConfigError as error:
        problems = "\n".join(
            "• " + safe(p.removeprefix("settings: "), 250) for p in error.problems[:5]
        )
        return notice(_("Nothing was changed:") + "\n" + problems)
    done = {
        views.REQUESTS: _("<#{channel}> is now a request channel of {queue}: each message "
                          "posted here becomes a ticket."),
        views.TRIAGE: _("<#{channel}> is now the triage channel of {queue}: its tickets' "
                        "cards come here."),
        views.ALERT: _("<#{channel}> now gets the deadline alerts."),
    }[role]  # fmt: skip
    logger.info("%s made %s a %s channel (%s)", viewer.user_id, channel_id, role, key or "-")
    return notice(done.format(channel=channel_id, queue=name))
