"""A workspace's first run and the channels the bot is invited to: the setup an admin meets
in App Home, what everyone else is told until then, and the question asked of whoever
invites the bot to a channel. Pure: data in, Block Kit out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ticketbot.i18n import _
from ticketbot.ids import ActionId, CallbackId
from ticketbot.views.blocks import (
    actions,
    button,
    context,
    header,
    input_block,
    message,
    modal,
    option,
    section,
    text_input,
)
from ticketbot.views.limits import OPTION_TEXT
from ticketbot.views.settings import F, _conversation, _conversations, _users
from ticketbot.views.text import safe, truncate, user

ALERT, NOTHING = "alert", "none"  # values of the channel-role choice besides "<role>:<queue>"
REQUESTS, TRIAGE = "request", "triage"
MAX_QUEUES_OFFERED = 99  # options in one group of a select: 100, less "nothing" kept aside


def who_can_set_up(admins: Sequence[str]) -> str:
    """The admins named in the settings (people and user groups), else Slack's own."""
    named = [f"<!subteam^{a}>" if a[0] == "S" else user(a) for a in admins[:10]]
    return ", ".join(named) if named else _("a workspace admin")


def not_set_up(admins: Sequence[str]) -> dict:
    """What `/ticket` answers, and App Home shows, until an admin has set ticketbot up."""
    text = _(
        "ticketbot is not set up yet in this workspace, so it does not know where tickets "
        "go. It can be set up from ticketbot's App Home by {who}."
    ).format(who=who_can_set_up(admins))
    return message(text, [section(text)])


def first_run_home(*, admin: bool, admins: Sequence[str], settings: list[dict]) -> dict:
    """App Home before the workspace is set up: the setup and the Settings section for an
    admin, who can set it up for everyone else."""
    if not admin:
        return {"type": "home", "blocks": not_set_up(admins)["blocks"]}
    return {"type": "home", "blocks": [*setup_home(), *settings]}


def setup_home() -> list[dict]:
    """The top of an admin's App Home before the workspace is set up."""
    return [
        header(_("Set up ticketbot")),
        section(
            _(
                "Before anyone can raise a ticket, name your first queue and pick its triage "
                "channel, where agents work the tickets, and its agents. Optionally pick a "
                "request channel: each message posted there becomes a ticket. Everything "
                "else starts from defaults you can change below."
            )
        ),
        actions(
            [button(_("Set up"), ActionId.SETTINGS_SETUP, style="primary")],
            block_id="setup",
        ),
        context(_("Or invite @ticketbot to a channel: it asks what the channel is for.")),
    ]


def setup_modal(queue: dict[str, Any], *, metadata: str) -> dict:
    """The four questions of the first run; the rest of the queue keeps its defaults."""
    agents = [a for a in queue.get("agents") or [] if a[0] in "UW"]
    blocks = [
        section(_("You can change all of this later from the Settings section of App Home.")),
        input_block(F.NAME, _("Name of the first queue"),
                    text_input(F.NAME, initial=queue.get("name"), max_length=40),
                    hint=_("The team that answers, such as IT or Help desk.")),
        input_block(F.TRIAGE_CHANNEL, _("Triage channel"),
                    _conversation(F.TRIAGE_CHANNEL, queue.get("triage_channel")),
                    hint=_("Where the tickets' cards go and agents work them. Invite "
                           "@ticketbot there if it is a private channel.")),
        input_block(F.AGENTS, _("Agents"), _users(F.AGENTS, agents), optional=True,
                    hint=_("Who works the tickets. Admins always can.")),
        input_block(F.REQUEST_CHANNELS, _("Request channel"),
                    _conversations(F.REQUEST_CHANNELS, queue.get("request_channels") or []),
                    optional=True,
                    hint=_("Optional: each message posted there becomes a ticket.")),
    ]  # fmt: skip
    return modal(_("Set up ticketbot"), blocks, callback_id=CallbackId.SETTINGS_SETUP,
                 submit=_("Save"), close=_("Cancel"), private_metadata=metadata)  # fmt: skip


def _options(queues: Sequence[tuple[str, str]], role: str, said: str) -> list[dict]:
    return [
        option(truncate(said.format(name=name), OPTION_TEXT), f"{role}:{key}")
        for key, name in queues[:MAX_QUEUES_OFFERED]
    ]


def role_question(
    channel_id: str, queues: Sequence[tuple[str, str]], *, first_run: bool = False
) -> dict:
    """Asked of the admin who invited the bot: what `channel_id` is for. `queues`: (key,
    name) of each queue; `first_run`: the workspace is not set up yet."""
    text = _("Thanks for inviting me to <#{channel}>. What is this channel for?").format(
        channel=channel_id
    )
    choice = {
        "type": "static_select",
        "action_id": ActionId.CHANNEL_ROLE,
        "placeholder": {"type": "plain_text", "text": _("Choose")},
        "option_groups": [
            {"label": {"type": "plain_text", "text": _("Requests")},
             "options": _options(queues, REQUESTS, _("Request channel of {name}"))},
            {"label": {"type": "plain_text", "text": _("Triage")},
             "options": _options(queues, TRIAGE, _("Triage channel of {name}"))},
            {"label": {"type": "plain_text", "text": _("Other")},
             "options": [option(_("Deadline alerts channel"), ALERT),
                         option(_("Nothing: just a member"), NOTHING)]},
        ],
    }  # fmt: skip
    blocks = [
        section(text),
        context(
            _("A request channel turns each message into a ticket of its queue; a triage "
              "channel gets the queue's cards; the alerts channel gets deadline warnings.")
        ),
        actions([choice], block_id="channel_role"),
    ]  # fmt: skip
    if first_run:
        blocks.insert(1, context(_(
            "ticketbot is not set up yet: make a channel the triage channel first, or set it "
            "up from ticketbot's App Home.")))  # fmt: skip
    return message(text, blocks)


def role_refused_to(admins: Sequence[str]) -> dict:
    """Told to a non-admin who invited the bot, or chose a role without being an admin."""
    text = _(
        "Thanks for inviting me. Only admins choose what a channel is for: ask {who} to "
        "invite me again, or to set it up from ticketbot's App Home."
    ).format(who=who_can_set_up(admins))
    return message(text, [section(text)])


def public_triage_refused(channel_id: str, queue_name: str) -> str:
    """Why a public channel cannot be a private queue's triage channel."""
    return _(
        "<#{channel}> is a public channel, and {queue} is a private queue. Its tickets are "
        "internal, so its cards must stay in a private channel: choose a private one as its "
        "triage channel."
    ).format(channel=channel_id, queue=safe(queue_name, 40))
