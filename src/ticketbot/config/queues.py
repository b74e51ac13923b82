"""Queues: each team (IT, HR, Facilities) works its own tickets, from its own request channels,
in its own triage channel, with its own agents, categories and deadlines.

`queues:` in ticketbot.yml lists them. Without it, the top-level `agents`, `triage_channel`,
`categories`, `products` and `sla` are one default queue, as before queues existed. With it,
those top-level keys are every queue's defaults, and a queue's `sla:` overrides any of the
top-level `sla:` keys (its `standard_hours` priority by priority)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from ticketbot.config.fields import ChannelId, Strict, UserOrGroupId

DEFAULT_QUEUE = "default"
Name = Annotated[str, Field(min_length=1, max_length=75)]


class QueueConfig(Strict):
    """One queue as ticketbot.yml writes it; unset keys come from the top level."""

    name: Annotated[str, Field(min_length=1, max_length=40)]
    # A short id kept on its tickets (default: the name, lower case, dashes for spaces).
    # Set it before renaming a queue whose tickets should stay in it.
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")] | None = None
    request_channels: list[ChannelId] = Field(default_factory=list)
    triage_channel: ChannelId | None = None
    agents: list[UserOrGroupId] | None = None
    categories: list[Name] | None = None
    products: list[Name] | None = None
    sla: dict[str, Any] = Field(default_factory=dict)
    assign: Literal["none", "round_robin", "least_open"] = "none"
    capture: Literal["every_message", "ask", "emoji"] = "every_message"
    capture_agents: bool = False  # messages by the queue's own agents become tickets too
    skip_emoji: Annotated[str, Field(pattern=r"^[a-z0-9_+\-']+$")] = "loudspeaker"
    group_minutes: Annotated[int, Field(ge=0, le=1440, strict=True)] = 5
    private: bool = False  # HR, legal: internal tickets, talked about in direct messages only

    @field_validator("skip_emoji", mode="before")
    @classmethod
    def _bare_emoji(cls, value: object) -> object:
        return value.strip(":") if isinstance(value, str) else value

    @property
    def slug(self) -> str:
        if self.key:
            return self.key
        plain = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40] or "queue"


@dataclass(frozen=True)
class Queue:
    """A queue with every setting resolved (its own, else the top level's)."""

    key: str
    name: str
    request_channels: tuple[str, ...]
    triage_channel: str | None
    agents: tuple[str, ...]
    categories: tuple[str, ...]
    products: tuple[str, ...]
    sla: Any  # SlaConfig (team.py builds it: the top level's with this queue's keys over it)
    assign: str = "none"
    capture: str = "every_message"
    capture_agents: bool = False
    skip_emoji: str = "loudspeaker"
    group_minutes: int = 5
    private: bool = False


def merged_sla(top: Any, override: dict[str, Any], sla_model: type) -> Any:
    """The top-level `sla:` with a queue's keys over it; ValueError naming the bad key."""
    if not override:
        return top
    data = top.model_dump(mode="json", exclude_defaults=False)
    for key, value in override.items():
        if key == "standard_hours" and isinstance(value, dict):
            data[key] = {**data.get(key, {}), **{str(k).lower(): v for k, v in value.items()}}
        else:
            data[key] = value
    try:
        return sla_model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"sla.{where}: {first['msg']}") from None


def resolve(config: Any, sla_model: type) -> tuple[Queue, ...]:
    """Every queue of a TicketbotConfig, resolved; the default queue when none is listed."""
    if not config.queues:
        return (
            Queue(
                key=DEFAULT_QUEUE,
                name="Help desk",
                request_channels=(),
                triage_channel=config.triage_channel,
                agents=tuple(config.agents),
                categories=tuple(config.categories),
                products=tuple(config.products),
                sla=config.sla,
                capture="emoji",
            ),
        )
    found = []
    for queue in config.queues:
        found.append(
            Queue(
                key=queue.slug,
                name=queue.name,
                request_channels=tuple(queue.request_channels),
                triage_channel=queue.triage_channel or config.triage_channel,
                agents=tuple(queue.agents if queue.agents is not None else config.agents),
                categories=tuple(
                    queue.categories if queue.categories is not None else config.categories
                ),
                products=tuple(queue.products if queue.products is not None else config.products),
                sla=merged_sla(config.sla, queue.sla, sla_model),
                assign=queue.assign,
                capture=queue.capture,
                capture_agents=queue.capture_agents,
                skip_emoji=queue.skip_emoji,
                group_minutes=queue.group_minutes,
                private=queue.private,
            )
        )
    return tuple(found)


def problems(queues: list[QueueConfig], triage_channel: str | None, sla: Any) -> list[str]:
    """What makes a list of queues unworkable, one sentence each."""
    found: list[str] = []
    keys: dict[str, str] = {}
    channels: dict[str, str] = {}
    for queue in queues:
        where = queue.name
        if queue.slug in keys:
            found.append(f"{where}: the same key {queue.slug!r} as {keys[queue.slug]}: set `key:`")
        keys.setdefault(queue.slug, queue.name)
        for channel in queue.request_channels:
            if channel in channels:
                found.append(
                    f"{where}: {channel} is already a request channel of {channels[channel]}"
                )
            channels.setdefault(channel, queue.name)
        if not (queue.triage_channel or triage_channel):
            found.append(f"{where}: no triage channel (set its triage_channel, or a top-level one)")
        triage = queue.triage_channel or triage_channel
        if triage and triage in queue.request_channels:
            found.append(f"{where}: {triage} cannot be both its request and its triage channel")
        try:
            merged_sla(sla, queue.sla, type(sla))
        except ValueError as error:
            found.append(f"{where}: {error}")
    return found
