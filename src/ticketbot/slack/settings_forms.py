"""Settings changed from App Home: each form's answers made into a new settings document,
saved as a version, with check-config's problems shown under the field they are about."""

from __future__ import annotations

import copy
import re
from typing import Any

from slack_sdk import WebClient

from ticketbot.config import ConfigError, QueueConfig
from ticketbot.i18n import _
from ticketbot.runtime import Runtime
from ticketbot.services import settings as stored
from ticketbot.services.access import Role, Viewer
from ticketbot.services.errors import Forbidden, InvalidInput
from ticketbot.slack.forms import ModalContext, submitted
from ticketbot.views import settings as views
from ticketbot.views.settings import F
from ticketbot.views.setup import public_triage_refused, setup_modal
from ticketbot.vocabulary import Priority, RelatedKind

_SHARE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")


def require_admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or viewer.role is not Role.ADMIN:
        raise Forbidden(_("Only admins change the settings."))
    return viewer


def current(runtime: Runtime, workspace_id: str) -> tuple[dict[str, Any], int]:
    """The settings document in force and its version (0: still ticketbot.yml's)."""
    with runtime.database.transaction(read_only=True) as session:
        row = stored.latest(session=session, workspace_id=workspace_id)
        if row is None:
            return stored.document_of(runtime.file_config), 0
        return copy.deepcopy(row.document), row.version


def open_form(
    runtime: Runtime, client: WebClient, *, workspace_id: str, viewer: Viewer, which: str,
    trigger_id: str, index: str | None = None, push: bool = False,
) -> None:  # fmt: skip
    """Open (or push on top of the Queues list) one settings form on the current version."""
    require_admin(viewer)
    document, version = current(runtime, workspace_id)
    if which == "history":
        with runtime.database.transaction(read_only=True) as session:
            rows = stored.history(session=session, workspace_id=workspace_id)
        view = views.history_modal(rows)
    elif which == "setup":  # the first run: the first queue's four questions
        meta = ModalContext(version=version).dump()
        view = setup_modal(views.queue_entries(document)[0], metadata=meta)
    elif which == "queue":
        entries = views.queue_entries(document)
        chosen = None
        if index not in (None, "new"):
            if not str(index).isdigit() or int(index) >= len(entries):
                raise InvalidInput(_("That queue is no longer set up. Open Queues again."))
            chosen = entries[int(index)]
        meta = ModalContext(version=version, page=int(index) if chosen else -1).dump()
        names = dict(runtime.directory.usergroups(client))
        view = views.queue_modal(chosen, top=document, metadata=meta, group_names=names)
    else:
        form = {"queues": views.queues_modal, "deadlines": views.deadlines_modal,
                "general": views.general_modal}[which]  # fmt: skip
        view = form(document, metadata=ModalContext(version=version).dump())
    if push:
        client.views_push(trigger_id=trigger_id, view=view)
    else:
        client.views_open(trigger_id=trigger_id, view=view)


def group_choices(runtime: Runtime, client: WebClient, viewer: Viewer | None, query: str):
    """The user-group picker's options, for admins only (nothing to anyone else)."""
    if viewer is None or viewer.role is not Role.ADMIN:
        return {"options": []}
    return views.group_options(runtime.directory.usergroups(client), query[:100])


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _set(target: dict, key: str, value: Any, default: Any = None) -> None:
    """Keep the document minimal: a value equal to the default is left out."""
    if value in (None, "", [], default):
        target.pop(key, None)
    else:
        target[key] = value


def queue_document(document: dict, index: int, values: dict[str, Any]) -> dict:
    """The document with one queue (`index` -1: a new one) as the form says. A file without
    `queues:` has its one queue made explicit (key `default`: its tickets stay in it)."""
    entries = [dict(q) for q in views.queue_entries(document)]
    entry = dict(entries[index]) if index >= 0 else {}
    if "remove" in (values.get(F.REMOVE) or []) and index >= 0:
        del entries[index]
    else:
        if index >= 0 and "key" not in entry:  # renaming must not move its tickets
            entry["key"] = QueueConfig(name=entry.get("name") or "queue").slug
        entry["name"] = str(values.get(F.NAME) or "").strip()
        _set(entry, "request_channels", values.get(F.REQUEST_CHANNELS) or [])
        _set(entry, "triage_channel", values.get(F.TRIAGE_CHANNEL))
        people = list(values.get(F.AGENTS) or [])
        groups = [g for g in values.get(F.GROUPS) or [] if isinstance(g, str)]
        _set(entry, "agents", people + groups)
        _set(entry, "categories", _lines(values.get(F.CATEGORIES)))
        _set(entry, "products", _lines(values.get(F.PRODUCTS)))
        _set(entry, "capture", values.get(F.CAPTURE), "every_message")
        _set(entry, "assign", values.get(F.ASSIGN), "none")
        _set(entry, "private", "private" in (values.get(F.PRIVATE) or []), False)
        sla = dict(entry.get("sla") or {})
        _set(sla, "alert_channel", values.get(F.ALERT_CHANNEL))
        _set(entry, "sla", sla, {})
        if index >= 0:
            entries[index] = entry
        else:
            entries.append(entry)
    changed = {k: v for k, v in document.items() if k != "queues"}
    if entries:
        changed["queues"] = entries
    return changed


def setup_document(document: dict, values: dict[str, Any]) -> dict:
    """The first run: the first queue (the default one of a file without `queues:`) named,
    with its triage channel, agents and request channel; the rest of it as it was."""
    entries = [dict(q) for q in views.queue_entries(document)]
    entry = entries[0]
    if "key" not in entry:  # renaming must not move its tickets
        entry["key"] = QueueConfig(name=entry.get("name") or "queue").slug
    entry["name"] = str(values.get(F.NAME) or "").strip()
    _set(entry, "triage_channel", values.get(F.TRIAGE_CHANNEL))
    _set(entry, "agents", list(values.get(F.AGENTS) or []))
    _set(entry, "request_channels", values.get(F.REQUEST_CHANNELS) or [])
    return {**{k: v for k, v in document.items() if k != "queues"}, "queues": entries}


def _share(text: str) -> float | None:
    match = _SHARE.match(text)
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    return value / 100 if value >= 1 else value


def deadlines_document(document: dict, values: dict[str, Any]) -> dict:
    changed = copy.deepcopy(document)
    sla = dict(changed.get("sla") or {})
    hours = {}
    for priority in Priority:
        raw = values.get(F.HOURS + priority.value)
        hours[priority.value] = float(raw) if raw not in (None, "") else None
    sla["standard_hours"] = hours
    shares = [_share(part) for part in str(values.get(F.WARN_AT) or "").split(",") if part.strip()]
    if any(share is None for share in shares):
        raise InvalidInput(_("Write shares of the time, such as 75%, 90%."), field=F.WARN_AT)
    _set(sla, "warn_at", shares, [0.75])
    _set(sla, "alert_channel", values.get(F.ALERT_CHANNEL))
    _set(sla, "pause_statuses", values.get(F.PAUSE) or [], ["waiting"])
    every = values.get(F.ESCALATE_HOURS)
    _set(sla, "escalate_every_hours", float(every) if every not in (None, "") else None)
    _set(sla, "escalation_usergroup", str(values.get(F.ESCALATE_GROUP) or "").strip())
    zone = str(values.get(F.TIMEZONE) or "").strip()
    if zone:
        business = dict(sla.get("business_hours") or {})
        business.update(timezone=zone, days=values.get(F.DAYS) or [])
        _set(business, "start", values.get(F.START))
        _set(business, "end", values.get(F.END))
        _set(business, "holidays", _lines(values.get(F.HOLIDAYS)))
        sla["business_hours"] = business
    else:
        sla.pop("business_hours", None)
    changed["sla"] = sla
    return changed


def general_document(document: dict, values: dict[str, Any]) -> dict:
    changed = copy.deepcopy(document)
    _set(changed, "language", values.get(F.LANGUAGE), "en")
    groups = [a for a in changed.get("admins") or [] if a[0] == "S"]
    _set(changed, "admins", list(values.get(F.ADMINS) or []) + groups)
    _set(changed, "reaction_emoji", str(values.get(F.REACTION) or "").strip().strip(":"), "ticket")
    conversation = dict(changed.get("conversation") or {})
    _set(conversation, "card_thread_replies", values.get(F.CARD_REPLIES), "internal")
    _set(changed, "conversation", conversation, {})
    kept = set(values.get(F.KINDS) or [])
    _set(changed, "modules", {k.value: False for k in RelatedKind if k.value not in kept})
    _set(changed, "currency", str(values.get(F.CURRENCY) or "").strip().upper(), "EUR")
    reports = dict(changed.get("reports") or {})
    if values.get(F.WEEKLY_DAY):
        weekly = {"day": values[F.WEEKLY_DAY]}
        _set(weekly, "time", values.get(F.WEEKLY_TIME), "09:00")
        _set(weekly, "channel", values.get(F.WEEKLY_CHANNEL))
        reports["weekly"] = weekly
    else:
        reports.pop("weekly", None)
    _set(changed, "reports", reports, {})
    return changed


# Which field of a form a problem's key is about (the first that matches).
_QUEUE_FIELDS = (
    ("request_channel", F.REQUEST_CHANNELS), ("triage", F.TRIAGE_CHANNEL),
    ("alert_channel", F.ALERT_CHANNEL), ("agents", F.AGENTS), ("categories", F.CATEGORIES),
    ("products", F.PRODUCTS), ("capture", F.CAPTURE), ("assign", F.ASSIGN),
    ("private", F.PRIVATE),
)  # fmt: skip
_DEADLINE_FIELDS = (
    *((f"standard_hours.{p.value}", F.HOURS + p.value) for p in Priority),
    ("warn_at", F.WARN_AT), ("alert_channel", F.ALERT_CHANNEL), ("pause", F.PAUSE),
    ("timezone", F.TIMEZONE), ("days", F.DAYS), ("start", F.START), ("holidays", F.HOLIDAYS),
    ("business_hours", F.END), ("escalate_every", F.ESCALATE_HOURS),
    ("escalation_usergroup", F.ESCALATE_GROUP),
)  # fmt: skip
_GENERAL_FIELDS = (
    ("language", F.LANGUAGE), ("admins", F.ADMINS), ("reaction", F.REACTION),
    ("conversation", F.CARD_REPLIES), ("modules", F.KINDS), ("currency", F.CURRENCY),
    ("reports.weekly.day", F.WEEKLY_DAY), ("reports.weekly.time", F.WEEKLY_TIME),
    ("reports.weekly.channel", F.WEEKLY_CHANNEL),
)  # fmt: skip
_SETUP_FIELDS = tuple(
    (name, block) for name, block in _QUEUE_FIELDS
    if block in (F.REQUEST_CHANNELS, F.TRIAGE_CHANNEL, F.AGENTS)
)  # fmt: skip
FIELDS = {"queue": (_QUEUE_FIELDS, F.NAME), "setup": (_SETUP_FIELDS, F.NAME),
          "deadlines": (_DEADLINE_FIELDS, F.HOURS + "urgent"),
          "general": (_GENERAL_FIELDS, F.LANGUAGE)}  # fmt: skip


def problems_by_field(form: str, error: ConfigError) -> dict[str, str]:
    """check-config's lines, each under the field it is about: the one its key names, else
    the one its words name ("... is already a request channel of HR"), else the first."""
    table, first = FIELDS[form]
    found: dict[str, str] = {}
    for problem in error.problems:
        said = problem.removeprefix("settings: ")
        key = said.split(": ", 1)[0]
        words = said.replace(" ", "_")
        block = next((b for name, b in table if name in key), None)
        block = block or next((b for name, b in table if name in words), first)
        found.setdefault(block, said[:250])
    return found


def public_triage(client: WebClient, queue: dict[str, Any]) -> str | None:
    """Why a private queue's own triage channel cannot be (it is public), or None. Slack
    says whether a channel is private (conversations.info)."""
    channel = queue.get("triage_channel")
    if not queue.get("private") or not channel:
        return None
    if client.conversations_info(channel=channel)["channel"].get("is_private"):
        return None
    return public_triage_refused(channel, str(queue.get("name") or ""))


def save_form(
    runtime: Runtime, *, workspace_id: str, viewer: Viewer | None, form: str, view: dict,
    client: WebClient | None = None,
) -> dict[str, str] | None:  # fmt: skip
    """Save what a settings form says as a new version. The errors to show in the form
    ({block_id: message}), or None when it was saved. `client`: to ask Slack whether a
    private queue's triage channel is private."""
    admin = require_admin(viewer)
    context = ModalContext.load(view)
    values = submitted(view)
    document, _version = current(runtime, workspace_id)
    try:
        if form == "queue":
            changed = queue_document(document, context.page, values)
        elif form == "setup":
            changed = setup_document(document, values)
        elif form == "deadlines":
            changed = deadlines_document(document, values)
        else:
            changed = general_document(document, values)
    except InvalidInput as error:
        return {error.field or FIELDS[form][1]: error.message}
    if form == "queue" and client is not None and "remove" not in (values.get(F.REMOVE) or []):
        entries = views.queue_entries(changed)
        refused = public_triage(client, entries[context.page if context.page >= 0 else -1])
        if refused:
            return {F.TRIAGE_CHANNEL: refused.replace("*", "")[:250]}
    try:
        store(runtime, workspace_id=workspace_id, admin=admin, document=changed,
              base_version=context.version or 0)  # fmt: skip
    except ConfigError as error:
        return problems_by_field(form, error)
    return None


def store(
    runtime: Runtime, *, workspace_id: str, admin: Viewer, document: dict, base_version: int
) -> None:
    """Save a new version by `admin`, in force here at once (on other replicas within
    seconds). ConfigError: check-config's problems; StaleSettings: someone saved since."""
    with runtime.database.transaction() as session:
        stored.save(
            session=session, workspace_id=workspace_id, document=document,
            file_config=runtime.file_config, actor=admin.user_id, now=runtime.clock.now(),
            base_version=base_version,
        )  # fmt: skip
    if runtime.stored is not None:
        runtime.stored.forget(workspace_id)
