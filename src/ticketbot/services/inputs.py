"""What a user may submit, validated once, whatever surface it came from."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ticketbot.i18n import N_, _
from ticketbot.services.errors import InvalidInput
from ticketbot.vocabulary import Engagement, Priority, Source, Visibility

# Control and bidi characters, and lone surrogates (half a UTF-16 pair: no text at all, and
# neither the database nor Slack can encode one).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SPACES = re.compile(r"\s+")

TITLE_MAX = 200
TEXT_MAX = 3000
NAME_MAX = 75


def clean_text(value: str) -> str:
    """Control and bidi characters dropped: they hide text or break rendering; so are lone
    surrogates, which cannot be stored."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_line(value: str) -> str:
    return _SPACES.sub(" ", clean_text(value)).strip()


def title_from(text: str) -> str:
    """The first non-empty line of a message, as a ticket title."""
    for line in (text or "").splitlines():
        cleaned = clean_line(line)
        if cleaned:
            return cleaned[:TITLE_MAX]
    return ""


Line = Annotated[str, AfterValidator(clean_line)]
Text = Annotated[str, AfterValidator(clean_text)]
Title = Annotated[Line, Field(min_length=1, max_length=TITLE_MAX)]
LongText = Annotated[Text, Field(max_length=TEXT_MAX)]
Name = Annotated[Line, Field(max_length=NAME_MAX)]
UserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,31}$")]
QueueKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TicketDraft(_Input):
    """A new ticket."""

    title: Title
    description: LongText = ""
    priority: Priority = Priority.NORMAL
    engagement: Engagement = Engagement.STANDARD
    category: Name | None = None
    assignee_id: UserId | None = None
    party_id: int | None = None
    product: Name | None = None
    visibility: Visibility = Visibility.PUBLIC
    queue: QueueKey = "default"
    source: Source = Source.SLASH_COMMAND
    origin_channel_id: str | None = Field(default=None, max_length=32)
    origin_ts: str | None = Field(default=None, max_length=32)


class TicketEdit(_Input):
    """Fields a user changed; a field left out is left as it is."""

    title: Title | None = None
    description: LongText | None = None
    solution: LongText | None = None
    priority: Priority | None = None
    engagement: Engagement | None = None
    category: Name | None = None
    assignee_id: UserId | None = None
    party_id: int | None = None
    product: Name | None = None
    visibility: Visibility | None = None
    queue: QueueKey | None = None


M = TypeVar("M", bound=BaseModel)

_FIELD_WORDS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "solution": N_("Solution"),
    "category": N_("Category"),
    "product": N_("Product"),
    "assignee_id": N_("Assignee"),
    "queue": N_("Queue"),
}


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Build `model` or raise InvalidInput naming the first bad field in plain words."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        word = _(_FIELD_WORDS.get(name, name.replace("_", " ").capitalize()))
        limit = (first.get("ctx") or {}).get("max_length")
        if first["type"] in ("string_too_short", "too_short", "missing"):
            message = _("{field} is required.").format(field=word)
        elif first["type"] in ("string_too_long", "too_long") and limit:
            message = _("{field} must be at most {limit} characters.").format(
                field=word, limit=limit
            )
        else:
            message = _("{field} is not valid.").format(field=word)
        raise InvalidInput(message, field=name) from None
