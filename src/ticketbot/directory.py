"""Who people are in Slack: roles from the config (users or user groups) and profiles, cached."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient

from ticketbot.clock import Clock
from ticketbot.config import TicketbotConfig
from ticketbot.failures import SLACK_FAILURES, failure_reason
from ticketbot.i18n import language_of_locale
from ticketbot.services.access import Role, Viewer

logger = logging.getLogger("ticketbot.directory")

CACHE_FOR = timedelta(minutes=5)
LANGUAGE_CACHE_FOR = timedelta(hours=1)
MAX_PROFILES = 10_000


class Directory:
    def __init__(self, config: Callable[[], TicketbotConfig], clock: Clock) -> None:
        self._current = config  # the configuration of the workspace acted for
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._users: dict[str, tuple[datetime, dict]] = {}
        self._profiles: dict[str, dict] = {}  # carried by events
        self._bot_id: str | None = None
        self._group_list: tuple[datetime, list[tuple[str, str]]] | None = None

    @property
    def _config(self) -> TicketbotConfig:
        return self._current()

    def _members(self, client: WebClient, group_id: str) -> frozenset[str]:
        now = self._clock.now()
        with self._lock:
            cached = self._groups.get(group_id)
        if cached and now - cached[0] < CACHE_FOR:
            return cached[1]
        try:
            users = frozenset(client.usergroups_users_list(usergroup=group_id)["users"])
        except SLACK_FAILURES as error:
            # Keep the last known members rather than demoting everyone on a Slack hiccup.
            logger.warning("cannot list user group %s: %s", group_id, failure_reason(error))
            return cached[1] if cached else frozenset()
        with self._lock:
            self._groups[group_id] = (now, users)
        return users

    def _in(self, client: WebClient, user_id: str, ids) -> bool:
        if user_id in ids:
            return True
        return any(
            user_id in self._members(client, group) for group in ids if group.startswith("S")
        )

    def viewer(
        self, client: WebClient, user_id: str, *, external: bool = False, profile=None
    ) -> Viewer:
        """Admins work every queue; an agent, the queues that list them (or their group);
        everyone is a requester elsewhere, and people of another organisation (Slack
        Connect: `external`) always. `profile`: the one their event carries, kept to name
        them when users.info cannot see them."""
        if profile:
            self.remember(user_id, profile)
        if external:
            return Viewer(user_id, Role.REQUESTER)
        profile_known = self._user(client, user_id) or {}
        if profile_known.get("is_admin") or profile_known.get("is_owner"):
            return Viewer(user_id, Role.ADMIN)  # the workspace's own admins and owners
        if self._in(client, user_id, self._config.admins):
            return Viewer(user_id, Role.ADMIN)
        if not self._config.queues:  # one queue: the top-level agents work it
            if self._in(client, user_id, self._config.agents):
                return Viewer(user_id, Role.AGENT)
            return Viewer(user_id, Role.REQUESTER)
        worked = frozenset(
            queue.key for queue in self._config.desks if self._in(client, user_id, queue.agents)
        )
        if worked:
            return Viewer(user_id, Role.AGENT, queues=worked)
        return Viewer(user_id, Role.REQUESTER)

    def usergroups(self, client: WebClient) -> list[tuple[str, str]]:
        """(id, name) of the workspace's user groups, cached five minutes; the last known
        ones when Slack cannot say."""
        now = self._clock.now()
        with self._lock:
            cached = self._group_list
        if cached and now - cached[0] < CACHE_FOR:
            return cached[1]
        try:
            found = client.usergroups_list().get("usergroups") or []
        except SLACK_FAILURES as error:
            logger.warning("cannot list user groups: %s", failure_reason(error))
            return cached[1] if cached else []
        groups = [(g["id"], g.get("name") or g.get("handle") or g["id"]) for g in found
                  if isinstance(g, dict) and g.get("id") and not g.get("date_delete")]  # fmt: skip
        with self._lock:
            self._group_list = (now, groups)
        return groups

    def bot_id(self, client: WebClient) -> str:
        """The bot's own user id (auth.test, asked once a process)."""
        if self._bot_id is None:
            self._bot_id = client.auth_test()["user_id"]
        return self._bot_id

    def agents_of(self, client: WebClient, queue_key: str) -> list[str]:
        """The users who work a queue (its user groups' members included), in the order the
        configuration lists them: the order of a round robin."""
        found: list[str] = []
        for entry in self._config.queue(queue_key).agents:
            members = sorted(self._members(client, entry)) if entry.startswith("S") else [entry]
            found.extend(m for m in members if m not in found)
        return found

    def remember(self, user_id: str, profile: dict) -> None:
        """A profile an event carried (Slack Connect senders): how to name them when
        users.info cannot."""
        kept = {k: profile.get(k) for k in ("real_name", "display_name") if profile.get(k)}
        if kept:
            with self._lock:
                self._profiles[user_id] = kept
                while len(self._profiles) > MAX_PROFILES:  # the oldest first
                    del self._profiles[next(iter(self._profiles))]

    def _user(self, client: WebClient, user_id: str) -> dict | None:
        """The person's users.info (with their locale), cached an hour; None when Slack
        cannot say (the last one known, or the profile an event carried, stays in use)."""
        now = self._clock.now()
        with self._lock:
            cached = self._users.get(user_id)
        if cached and now - cached[0] < LANGUAGE_CACHE_FOR:
            return cached[1]
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except SLACK_FAILURES as error:
            logger.info("no profile for %s: %s", user_id, failure_reason(error))
            if cached:
                return cached[1]
            with self._lock:
                carried = self._profiles.get(user_id)
            return {"profile": carried} if carried else None
        with self._lock:
            self._users[user_id] = (now, user)
        return user

    def language(self, client: WebClient, user_id: str | None) -> str:
        """The language a person is answered in: the config's, or their Slack locale's."""
        chosen = self._config.language
        if chosen != "auto":
            return chosen
        if not user_id:
            return self._config.channel_language
        user = self._user(client, user_id)
        if user is None:
            return self._config.channel_language
        return language_of_locale(user.get("locale"))

    def name(self, client: WebClient, user_id: str) -> str:
        """How a person is called in a message that must not ping them: their Slack name."""
        user = self._user(client, user_id) or {}
        profile = user.get("profile") or {}
        return (
            profile.get("real_name")
            or profile.get("display_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )

    def names(self, client: WebClient, user_ids) -> dict[str, str]:
        return {user_id: self.name(client, user_id) for user_id in user_ids if user_id}
