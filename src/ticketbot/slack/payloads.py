"""The shape of what Slack sends, checked before any listener reads it.

A listener reads ids, values and views out of a payload; each of those is checked here
first, by kind of request, so that a payload Slack would never send (a signed one made by
hand, a field missing, an id that is not an id) is refused with a 400 and one log line,
instead of failing deep inside a listener or, worse, being stored."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

UserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{1,31}$")]
TeamId = Annotated[str, Field(pattern=r"^[TE][A-Z0-9]{1,31}$")]
ConversationId = Annotated[str, Field(pattern=r"^[CDGU][A-Z0-9]{1,31}$")]
MessageTs = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,9})?$")]
Text = Annotated[str, Field(max_length=100_000)]
Id = Annotated[str, Field(min_length=1, max_length=255)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$", max_length=2000)]


class _Part(BaseModel):
    """Only what we read is checked; Slack adds fields all the time."""

    model_config = ConfigDict(extra="allow")


class _User(_Part):
    id: UserId


class _Team(_Part):
    id: TeamId


class _Channel(_Part):
    id: ConversationId


class _Option(_Part):
    value: Text


class _Action(_Part):
    action_id: Id
    block_id: Id | None = None
    type: Id | None = None
    value: Text | None = None
    selected_option: _Option | None = None
    selected_user: UserId | None = None


class _StateValue(_Part):
    """One input's value as a form holds it: the text typed, or what was picked."""

    type: Id | None = None
    value: Text | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None
    selected_user: UserId | None = None
    selected_users: list[UserId] | None = None
    selected_conversation: ConversationId | None = None
    selected_channel: ConversationId | None = None
    selected_date: Text | None = None


class _View(_Part):
    id: Id
    type: Literal["modal", "home"]
    callback_id: Text = ""
    private_metadata: Text = ""
    hash: Text | None = None
    blocks: list[dict[str, Any]] = Field(default_factory=list)
    state: dict[Literal["values"], dict[str, dict[str, _StateValue]]] | None = None


class _Interaction(_Part):
    user: _User
    team: _Team | None = None
    trigger_id: Id | None = None
    response_url: Url | None = None
    channel: _Channel | None = None


class _BlockActions(_Interaction):
    actions: list[_Action] = Field(min_length=1)
    view: _View | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None


class _ViewPayload(_Interaction):
    view: _View


class _Shortcut(_Interaction):
    callback_id: Id
    trigger_id: Id


class _ShortcutMessage(_Part):
    """The message a shortcut was used on: its text becomes a ticket's title and description."""

    ts: MessageTs
    text: Text | None = None


class _MessageAction(_Shortcut):
    channel: _Channel
    message_ts: MessageTs
    message: _ShortcutMessage


class _Suggestion(_Interaction):
    action_id: Id
    block_id: Id | None = None
    value: Text = ""
    view: _View | None = None


class _Command(_Part):
    command: Id
    text: Text = ""
    user_id: UserId
    team_id: TeamId
    channel_id: Text = ""
    trigger_id: Id
    response_url: Url


class _Item(_Part):
    type: Id
    channel: ConversationId | None = None
    ts: MessageTs | None = None

    @model_validator(mode="after")
    def _a_message_has_its_place(self) -> _Item:
        if self.type == "message" and (self.channel is None or self.ts is None):
            raise ValueError("a message item needs its channel and ts")
        return self


class _File(_Part):
    """A file shared with a message; one hidden from the app carries only its id."""

    id: Id
    name: Text | None = None
    title: Text | None = None
    permalink: Url | None = None
    mode: Id | None = None


class _EditedMessage(_Part):
    ts: MessageTs
    thread_ts: MessageTs | None = None
    text: Text | None = None
    files: list[_File] | None = None


class _Event(_Part):
    type: Id
    user: UserId | None = None
    channel: ConversationId | None = None
    ts: MessageTs | None = None
    thread_ts: MessageTs | None = None
    deleted_ts: MessageTs | None = None
    subtype: Id | None = None
    text: Text | None = None
    files: list[_File] | None = None
    reaction: Id | None = None
    item: _Item | None = None
    message: _EditedMessage | None = None
    tab: Id | None = None

    @model_validator(mode="after")
    def _what_its_type_needs(self) -> _Event:
        needed: tuple[str, ...] = ()
        if self.type == "message":
            needed = {
                "message_changed": ("channel", "message"),
                "message_deleted": ("channel", "deleted_ts"),
            }.get(self.subtype or "", ("channel", "ts"))
        elif self.type == "reaction_added":
            needed = ("user", "item", "reaction")
        elif self.type in ("app_home_opened", "member_joined_channel"):
            needed = ("user",)
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.type} event needs {', '.join(missing)}")
        return self


class _EventCallback(_Part):
    team_id: TeamId
    event_id: Id
    event: _Event


class _RateLimited(_Part):
    team_id: TeamId
    minute_rate_limited: int


class _Verification(_Part):
    challenge: Text


SHAPES: dict[str, type[_Part]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewPayload,
    "view_closed": _ViewPayload,
    "shortcut": _Shortcut,
    "message_action": _MessageAction,
    "block_suggestion": _Suggestion,
    "event_callback": _EventCallback,
    "app_rate_limited": _RateLimited,
    "url_verification": _Verification,
}


def payload_problem(body: dict[str, Any]) -> str | None:
    """Why Slack would never send this (None: it might)."""
    if body.get("ssl_check"):
        return None
    kind = body.get("type")
    shape = _Command if "command" in body else SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        return f"no such kind of request: {str(body.get('type'))[:40]!r}"
    try:
        shape.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        return f"{shape.__name__.strip('_')}: {where}: {first['msg']}"
    return None
