"""Settings in App Home, for admins: the section, the list of queues, the form of one queue,
deadlines, general settings, and the history of changes. Pure: documents in, Block Kit out.

A form is opened on a version of the settings (its private_metadata); saving it writes a new
version, refused when someone saved meanwhile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, CallbackId
from ticketbot.views.blocks import (
    actions,
    button,
    context,
    divider,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from ticketbot.views.text import date_token, safe, user
from ticketbot.vocabulary import Priority, RelatedKind, Status

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_NAME = "Help desk"  # the queue of a file without queues:


class SettingsField:
    """Block ids of the settings forms (each the action id of its element too)."""

    NAME = "s_name"
    REQUEST_CHANNELS = "s_request_channels"
    TRIAGE_CHANNEL = "s_triage_channel"
    ALERT_CHANNEL = "s_alert_channel"
    AGENTS = "s_agents"
    GROUPS = "s_groups"
    CATEGORIES = "s_categories"
    PRODUCTS = "s_products"
    CAPTURE = "s_capture"
    ASSIGN = "s_assign"
    PRIVATE = "s_private"
    REMOVE = "s_remove"
    HOURS = "s_hours_"  # + the priority's value
    WARN_AT = "s_warn_at"
    TIMEZONE = "s_timezone"
    DAYS = "s_days"
    START = "s_start"
    END = "s_end"
    HOLIDAYS = "s_holidays"
    PAUSE = "s_pause"
    LANGUAGE = "s_language"
    ADMINS = "s_admins"
    REACTION = "s_reaction"
    CARD_REPLIES = "s_card_replies"
    KINDS = "s_kinds"
    CURRENCY = "s_currency"
    WEEKLY_DAY = "s_weekly_day"
    WEEKLY_TIME = "s_weekly_time"
    WEEKLY_CHANNEL = "s_weekly_channel"
    ESCALATE_HOURS = "s_escalate_hours"
    ESCALATE_GROUP = "s_escalate_group"


F = SettingsField


def home_section(version: int | None, changed_by: str | None, changed_at: datetime | None):
    """The Settings part of an admin's App Home."""
    if version:
        who = user(changed_by) if changed_by and changed_by[0] in "UW" else safe(changed_by, 64)
        said = _("Version {version}, changed by {who} {when}.").format(
            version=version, who=who, when=date_token(changed_at)
        )
    else:
        said = _("Still those of ticketbot.yml: the first change here keeps them in ticketbot.")
    return [
        divider(),
        section("*" + _("Settings") + "*\n" + said),
        actions(
            [
                button(_("Queues"), ActionId.SETTINGS_QUEUES),
                button(_("Deadlines"), ActionId.SETTINGS_DEADLINES),
                button(_("General"), ActionId.SETTINGS_GENERAL),
                button(_("Settings history"), ActionId.SETTINGS_HISTORY),
            ],
            block_id="settings",
        ),
    ]


def queue_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The queues as the forms show them: a file without `queues:` has one, made of the
    top-level keys."""
    if document.get("queues"):
        return list(document["queues"])
    return [
        {
            "name": DEFAULT_NAME,
            "key": "default",
            **{
                k: document[k]
                for k in ("triage_channel", "agents", "categories", "products")
                if k in document
            },
        }
    ]


def queues_modal(document: dict[str, Any], *, metadata: str) -> dict:
    blocks: list[dict] = []
    for index, queue in enumerate(queue_entries(document)):
        where = queue.get("triage_channel") or document.get("triage_channel")
        details = [
            _("triage {channel}").format(channel=f"<#{where}>") if where else _("no triage"),
            _("{n} request channels").format(n=len(queue.get("request_channels") or [])),
            _("capture {mode}").format(mode=queue.get("capture", "every_message")),
            _("assign {mode}").format(mode=queue.get("assign", "none")),
        ]
        if queue.get("private"):
            details.append(_("private"))
        blocks.append(
            section(
                f"*{safe(queue.get('name', '?'), 40)}*\n" + " · ".join(details),
                accessory=button(_("Edit"), ActionId.SETTINGS_EDIT_QUEUE, value=str(index)),
                block_id=f"settings_queue:{index}",
            )
        )
    add = button(_("Add a queue"), ActionId.SETTINGS_EDIT_QUEUE, value="new", style="primary")
    blocks.append(actions([add], block_id="settings_add"))
    return modal(_("Queues"), blocks, callback_id=CallbackId.SETTINGS_QUEUES, close=_("Close"),
                 private_metadata=metadata)  # fmt: skip


def _conversation(action_id: str, initial: str | None) -> dict:
    element: dict = {
        "type": "conversations_select",
        "action_id": action_id,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversation"] = initial
    return element


def _conversations(action_id: str, initial: Sequence[str]) -> dict:
    element: dict = {
        "type": "multi_conversations_select",
        "action_id": action_id,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversations"] = list(initial)
    return element


def _users(action_id: str, initial: Sequence[str]) -> dict:
    element: dict = {"type": "multi_users_select", "action_id": action_id}
    if initial:
        element["initial_users"] = list(initial)
    return element


def _lines(values: Sequence[str] | None) -> str:
    return "\n".join(values or ())


def _choice(action_id: str, choices: dict[str, str], initial: str) -> dict:
    return static_select(
        action_id, [option(text, value) for value, text in choices.items()], initial=initial
    )


def _checkboxes(action_id: str, choices: dict[str, str], chosen: Sequence[str]) -> dict:
    options = [option(text, value) for value, text in choices.items()]
    element: dict = {"type": "checkboxes", "action_id": action_id, "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return element


def _groups(action_id: str, chosen: Sequence[str], names: dict[str, str]) -> dict:
    """The workspace's user groups, loaded as the admin types (handlers/options.py)."""
    element: dict = {"type": "multi_external_select", "action_id": action_id,
                     "min_query_length": 0}  # fmt: skip
    if chosen:
        element["initial_options"] = [option(names.get(g, g), g) for g in chosen]
    return element


def group_options(groups: Sequence[tuple[str, str]], query: str) -> dict:
    """The options of the user-group picker: those whose name holds what was typed."""
    wanted = query.strip().casefold()
    found = [option(name, group) for group, name in groups if wanted in name.casefold()]
    return {"options": found[:100]}


def queue_modal(
    queue: dict[str, Any] | None,
    *,
    top: dict[str, Any],
    metadata: str,
    group_names: dict[str, str] | None = None,
) -> dict:
    """One queue's form (`queue` None: a new one); `top`: the top-level settings, whose
    values a queue inherits when it sets none; `group_names`: user groups' names by id."""
    queue = queue or {}
    new = not queue
    agents = queue.get("agents", top.get("agents") if queue.get("key") == "default" else None)
    people = [a for a in agents or [] if a[0] in "UW"]
    groups = [a for a in agents or [] if a[0] == "S"]
    sla = queue.get("sla") or {}
    blocks = [
        input_block(F.NAME, _("Name"), text_input(F.NAME, initial=queue.get("name"),
                                                  max_length=40)),
        input_block(F.REQUEST_CHANNELS, _("Request channels"),
                    _conversations(F.REQUEST_CHANNELS, queue.get("request_channels") or []),
                    optional=True, hint=_("Messages posted there become tickets of this queue.")),
        input_block(F.TRIAGE_CHANNEL, _("Triage channel"),
                    _conversation(F.TRIAGE_CHANNEL, queue.get("triage_channel")),
                    optional=True, hint=_("Where its cards go. Empty: the default one.")),
        input_block(F.ALERT_CHANNEL, _("Deadline alerts channel"),
                    _conversation(F.ALERT_CHANNEL, sla.get("alert_channel")), optional=True),
        input_block(F.AGENTS, _("Agents"), _users(F.AGENTS, people), optional=True),
        input_block(F.GROUPS, _("Agent user groups"),
                    _groups(F.GROUPS, groups, group_names or {}), optional=True,
                    hint=_("Their members are agents of this queue.")),
        input_block(F.CATEGORIES, _("Categories"),
                    text_input(F.CATEGORIES, initial=_lines(queue.get("categories")),
                               multiline=True), optional=True, hint=_("One a line.")),
        input_block(F.PRODUCTS, _("Products"),
                    text_input(F.PRODUCTS, initial=_lines(queue.get("products")),
                               multiline=True), optional=True, hint=_("One a line.")),
        input_block(F.CAPTURE, _("Messages in request channels"), _choice(F.CAPTURE, {
            "every_message": _("Each message is a ticket"),
            "ask": _("Ask the author"),
            "emoji": _("Only the ticket reaction"),
        }, queue.get("capture", "every_message"))),
        input_block(F.ASSIGN, _("Assign new tickets"), _choice(F.ASSIGN, {
            "none": _("No one: agents take them"),
            "round_robin": _("In turn"),
            "least_open": _("To the least busy agent"),
        }, queue.get("assign", "none"))),
        input_block(F.PRIVATE, _("Privacy"), _checkboxes(F.PRIVATE, {
            "private": _("Private: internal tickets, direct messages only"),
        }, ["private"] if queue.get("private") else []), optional=True),
    ]  # fmt: skip
    if not new and queue.get("key") != "default":
        blocks.append(input_block(F.REMOVE, _("Remove"), _checkboxes(F.REMOVE, {
            "remove": _("Remove this queue (its tickets follow the first queue's rules)"),
        }, []), optional=True))  # fmt: skip
    title = _("New queue") if new else _("Queue {name}").format(name=queue.get("name", ""))
    return modal(title, blocks, callback_id=CallbackId.SETTINGS_QUEUE, submit=_("Save"),
                 close=_("Cancel"), private_metadata=metadata)  # fmt: skip


def _number(action_id: str, initial: object) -> dict:
    element: dict = {"type": "number_input", "action_id": action_id,
                     "is_decimal_allowed": True, "min_value": "0.1", "max_value": "8760"}
    if initial is not None:
        element["initial_value"] = str(initial)
    return element  # fmt: skip


def deadlines_modal(document: dict[str, Any], *, metadata: str) -> dict:
    sla = document.get("sla") or {}
    hours = {"urgent": 4, "high": 8, "normal": 24, "low": 72, **(sla.get("standard_hours") or {})}
    business = sla.get("business_hours") or {}
    warn = ", ".join(f"{round(share * 100)}%" for share in sla.get("warn_at", [0.75]))
    blocks = [
        section(_("Standard engagement hours by priority, then when warnings go out.")),
        *[
            input_block(F.HOURS + p.value, label(p), _number(F.HOURS + p.value, hours[p.value]))
            for p in reversed(Priority)
        ],
        input_block(F.WARN_AT, _("Warn at"), text_input(F.WARN_AT, initial=warn, max_length=60),
                    hint=_("Shares of the time, e.g. 75%, 90%.")),
        input_block(F.ALERT_CHANNEL, _("Alerts channel"),
                    _conversation(F.ALERT_CHANNEL, sla.get("alert_channel")), optional=True),
        input_block(F.PAUSE, _("Paused while"), _checkboxes(F.PAUSE, {
            s.value: label(s) for s in Status if s is not Status.CLOSED
        }, sla.get("pause_statuses", ["waiting"])), optional=True),
        input_block(F.ESCALATE_HOURS, _("Escalate every (hours)"), _number(
            F.ESCALATE_HOURS, sla.get("escalate_every_hours")), optional=True,
            hint=_("Past its deadline, a ticket is raised again this often. Empty: never.")),
        input_block(F.ESCALATE_GROUP, _("Escalate to the user group"),
                    text_input(F.ESCALATE_GROUP, initial=sla.get("escalation_usergroup"),
                               max_length=32, placeholder="S0123ABCD"), optional=True),
        divider(),
        section("*" + _("Business hours") + "*\n" + _("Empty time zone: the clock runs "
                                                      "around the clock.")),
        input_block(F.TIMEZONE, _("Time zone"),
                    text_input(F.TIMEZONE, initial=business.get("timezone"), max_length=60,
                               placeholder="Europe/Paris"), optional=True),
        input_block(F.DAYS, _("Days"), _checkboxes(F.DAYS, {d: d for d in DAYS},
                    business.get("days", list(DAYS[:5]))), optional=True),
        input_block(F.START, _("From"), {"type": "timepicker", "action_id": F.START,
                    "initial_time": str(business.get("start", "09:00"))[:5]}, optional=True),
        input_block(F.END, _("To"), {"type": "timepicker", "action_id": F.END,
                    "initial_time": str(business.get("end", "18:00"))[:5]}, optional=True),
        input_block(F.HOLIDAYS, _("Holidays"),
                    text_input(F.HOLIDAYS, initial=_lines(business.get("holidays")),
                               multiline=True), optional=True,
                    hint=_("Dates as 2026-12-25, one a line.")),
    ]  # fmt: skip
    return modal(_("Deadlines"), blocks, callback_id=CallbackId.SETTINGS_DEADLINES,
                 submit=_("Save"), close=_("Cancel"), private_metadata=metadata)  # fmt: skip


def general_modal(document: dict[str, Any], *, metadata: str) -> dict:
    admins = [a for a in document.get("admins") or [] if a[0] in "UW"]
    conversation = document.get("conversation") or {}
    modules = document.get("modules") or {}
    weekly = (document.get("reports") or {}).get("weekly") or {}
    blocks = [
        input_block(F.LANGUAGE, _("Language"), _choice(F.LANGUAGE, {
            "en": "English", "fr": "Français", "auto": _("Each person's Slack language"),
        }, document.get("language", "en"))),
        input_block(F.ADMINS, _("Admins"), _users(F.ADMINS, admins), optional=True,
                    hint=_("Besides the workspace's admins and owners.")),
        input_block(F.REACTION, _("Reaction that raises a ticket"),
                    text_input(F.REACTION, initial=document.get("reaction_emoji", "ticket"),
                               max_length=60)),
        input_block(F.CARD_REPLIES, _("Replies in a card's thread"), _choice(F.CARD_REPLIES, {
            "internal": _("Internal notes"), "public": _("Relayed to the requester"),
        }, conversation.get("card_thread_replies", "internal"))),
        input_block(F.KINDS, _("Related items"), _checkboxes(F.KINDS, {
            kind.value: label(kind) for kind in RelatedKind
        }, [k.value for k in RelatedKind if modules.get(k.value, True)]), optional=True),
        input_block(F.CURRENCY, _("Currency"), text_input(
            F.CURRENCY, initial=document.get("currency", "EUR"), max_length=3),
            hint=_("Of expenses, quotes and purchase orders: three letters, like EUR.")),
        divider(),
        section("*" + _("Weekly report") + "*\n" + _("Empty day: no weekly report.")),
        input_block(F.WEEKLY_DAY, _("Day"), static_select(
            F.WEEKLY_DAY, [option(day, day) for day in DAYS], initial=weekly.get("day")),
            optional=True),
        input_block(F.WEEKLY_TIME, _("Time"), {"type": "timepicker", "action_id": F.WEEKLY_TIME,
                    "initial_time": str(weekly.get("time", "09:00"))[:5]}, optional=True),
        input_block(F.WEEKLY_CHANNEL, _("Channel"), _conversation(
            F.WEEKLY_CHANNEL, weekly.get("channel")), optional=True,
            hint=_("Empty: the deadline alerts channel.")),
    ]  # fmt: skip
    return modal(_("General settings"), blocks, callback_id=CallbackId.SETTINGS_GENERAL,
                 submit=_("Save"), close=_("Cancel"), private_metadata=metadata)  # fmt: skip


def history_modal(versions: Sequence[Any]) -> dict:
    """The latest changes, newest first: version, who, when, what."""
    if not versions:
        blocks = [section(_("No change yet: the settings are ticketbot.yml's."))]
    else:
        blocks = []
        for row in versions:
            who = user(row.changed_by) if row.changed_by[0] in "UW" else safe(row.changed_by, 64)
            blocks.append(context(
                f"*v{row.version}* {date_token(row.changed_at)} {who}: {safe(row.summary, 500)}"
            ))  # fmt: skip
    return modal(_("Settings history"), blocks, callback_id=CallbackId.SETTINGS_HISTORY,
                 close=_("Close"))  # fmt: skip
