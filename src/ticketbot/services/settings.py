"""A workspace's settings, kept in the database and versioned.

The document is what ticketbot.yml would hold, validated by the same models and worded the
same way as `ticketbot check-config`; secrets (webhook secrets, like tokens and the SMTP
password) never enter it: webhooks stay in the file. Each change is a new version with who
made it, when, and what changed. ticketbot.yml seeds the first version; after that the
stored settings win. Every process reads the latest version again within seconds
(`StoredSettings`), so a change reaches every replica without a restart."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ticketbot.clock import Clock
from ticketbot.config import TicketbotConfig
from ticketbot.config.errors import ConfigError, describe
from ticketbot.i18n import _
from ticketbot.services.errors import TicketbotError
from ticketbot.store.db import Database
from ticketbot.store.models import SettingsVersion

logger = logging.getLogger("ticketbot.settings")

FILE = "ticketbot.yml"  # who made a version seeded from the file
SECRET_KEYS = frozenset({"webhooks"})  # stay in ticketbot.yml, never stored nor shown
REFRESH = timedelta(seconds=5)  # how stale a process's copy may be
MAX_SUMMARY = 12  # changed keys named in a version's summary


class StaleSettings(TicketbotError):
    """Someone saved the settings since this form was opened."""


def document_of(config: TicketbotConfig) -> dict[str, Any]:
    """The settings as ticketbot.yml would write them, without secrets and defaults."""
    return config.model_dump(mode="json", exclude_defaults=True, exclude=set(SECRET_KEYS))


def parse_document(
    document: Any, file_config: TicketbotConfig, source: str = "settings"
) -> TicketbotConfig:
    """The configuration a stored document makes, with the file's secrets; ConfigError
    lists every problem as check-config does (`source` names where it came from)."""
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys")
    secret = {key: value for key, value in document.items() if key in SECRET_KEYS}
    if secret:
        raise ConfigError(f"{source}: {sorted(secret)[0]}: kept in ticketbot.yml, not here")
    data = {**document, "webhooks": list(file_config.webhooks)}
    try:
        return TicketbotConfig.model_validate(data)
    except ValidationError as error:
        raise describe(error, source) from None


def latest(*, session: Session, workspace_id: str) -> SettingsVersion | None:
    return session.scalars(
        select(SettingsVersion)
        .where(SettingsVersion.workspace_id == workspace_id)
        .order_by(SettingsVersion.version.desc())
        .limit(1)
    ).first()


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a document; queues are named by their name, not their position."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found.update(_flat(inner, f"{prefix}.{key}" if prefix else str(key)))
        return found or ({prefix: {}} if prefix else {})
    if prefix == "queues" and isinstance(value, list):
        found = {}
        for queue in value:
            name = queue.get("name", "?") if isinstance(queue, dict) else "?"
            found.update(_flat(queue, f"queues.{name}"))
        return found or {prefix: []}
    return {prefix: value}


def _queue_of(key: str) -> str | None:
    parts = key.split(".")
    return parts[1] if parts[0] == "queues" and len(parts) > 2 else None


def describe_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What a new version changed, in dotted keys: "sla.warn_at, queues.IT.agents"."""
    before, after = _flat(old), _flat(new)
    had = {_queue_of(k) for k in before} - {None}
    has = {_queue_of(k) for k in after} - {None}
    changed = [_("queue {name} added").format(name=q) for q in sorted(has - had)]
    changed += [_("queue {name} removed").format(name=q) for q in sorted(had - has)]
    changed += [
        key
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key) and _queue_of(key) not in (has ^ had)
    ]
    if not changed:
        return _("no change")
    more = len(changed) - MAX_SUMMARY
    shown = ", ".join(changed[:MAX_SUMMARY])
    return shown + (" " + _("and {n} more").format(n=more) if more > 0 else "")


def save(
    *,
    session: Session,
    workspace_id: str,
    document: dict[str, Any],
    file_config: TicketbotConfig,
    actor: str,
    now: datetime,
    base_version: int | None = None,
    summary: str | None = None,
) -> SettingsVersion:
    """Validate and store a new version (the latest one when nothing changed). Raises
    ConfigError for a document check-config would refuse, StaleSettings when someone saved
    since `base_version` (the version the form was opened on)."""
    parse_document(document, file_config)
    current = latest(session=session, workspace_id=workspace_id)
    if base_version is not None and (current.version if current else 0) != base_version:
        raise StaleSettings(
            _("Someone changed the settings since you opened this form. Open it again.")
        )
    if current is not None and current.document == document:
        return current
    row = SettingsVersion(
        workspace_id=workspace_id,
        version=(current.version if current else 0) + 1,
        document=document,
        changed_by=actor,
        changed_at=now,
        summary=summary
        or describe_change(
            current.document if current else document_of(file_config), document
        ),
    )
    try:
        with session.begin_nested():  # two saves at once: one version each, never the same
            session.add(row)
    except IntegrityError:
        raise StaleSettings(
            _("Someone changed the settings since you opened this form. Open it again.")
        ) from None
    return row


def seed(
    *, session: Session, workspace_id: str, file_config: TicketbotConfig, now: datetime
) -> SettingsVersion | None:
    """The first version, from ticketbot.yml (None: the workspace has settings already, or
    another worker or replica starting at the same moment just seeded them)."""
    if latest(session=session, workspace_id=workspace_id) is not None:
        return None
    try:
        return save(
            session=session, workspace_id=workspace_id, document=document_of(file_config),
            file_config=file_config, actor=FILE, now=now, base_version=0,
            summary=_("seeded from ticketbot.yml"),
        )  # fmt: skip
    except StaleSettings:
        return None


def history(*, session: Session, workspace_id: str, limit: int = 20) -> list[SettingsVersion]:
    return list(
        session.scalars(
            select(SettingsVersion)
            .where(SettingsVersion.workspace_id == workspace_id)
            .order_by(SettingsVersion.version.desc())
            .limit(limit)
        )
    )


class StoredSettings:
    """Each workspace's latest settings as this process knows them: asked again at most
    every REFRESH (the latest version number only, unless it moved)."""

    def __init__(self, database: Database, clock: Clock, file_config: TicketbotConfig) -> None:
        self._database, self._clock, self._file = database, clock, file_config
        self._lock = threading.Lock()
        # workspace -> (checked at, version, config or None when nothing is stored)
        self._known: dict[str, tuple[datetime, int, TicketbotConfig | None]] = {}

    def forget(self, workspace_id: str) -> None:
        """Read this workspace's settings again at the next use (after a save here)."""
        with self._lock:
            self._known.pop(workspace_id, None)

    def config_of(self, workspace_id: str) -> TicketbotConfig | None:
        now = self._clock.now()
        with self._lock:
            known = self._known.get(workspace_id)
        if known is not None and now - known[0] < REFRESH:
            return known[2]
        try:
            found = self._read(workspace_id, known)
        except SQLAlchemyError as error:  # the database is away: keep what we know
            logger.warning("settings of %s not refreshed: %s", workspace_id, type(error).__name__)
            return known[2] if known else None
        with self._lock:
            self._known[workspace_id] = (now, *found)
        return found[1]

    def _read(self, workspace_id, known) -> tuple[int, TicketbotConfig | None]:
        with self._database.transaction(read_only=True) as session:
            version = session.scalar(
                select(func.max(SettingsVersion.version)).where(
                    SettingsVersion.workspace_id == workspace_id
                )
            )
            if version is None:
                return 0, None
            if known is not None and known[1] == version:
                return version, known[2]
            row = latest(session=session, workspace_id=workspace_id)
            assert row is not None
            try:
                return row.version, parse_document(row.document, self._file)
            except ConfigError as error:  # stored by an older release, say: keep running
                logger.error("stored settings v%s of %s refused: %s", row.version,
                             workspace_id, error)  # fmt: skip
                return row.version, known[2] if known else None


def needs_setup(config: TicketbotConfig, file_config: TicketbotConfig) -> bool:
    """A workspace ticketbot has never been told about: no triage channel anywhere in the
    settings in force, and no ticketbot.yml saying otherwise (none given, or all defaults).
    A file without a triage channel is a choice (cards go to their requesters); a workspace
    set up from Slack alone is set up when one of its queues has a triage channel."""
    if any(queue.triage_channel for queue in config.desks):
        return False
    return not document_of(file_config)
