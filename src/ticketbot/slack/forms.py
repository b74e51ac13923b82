"""The one reader of submitted views: what a modal remembers (`private_metadata`), the value
of each input (`view.state`), what the user changed, and errors placed on blocks."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ticketbot.ids import InputId
from ticketbot.vocabulary import RelatedKind, Source


class ModalContext(BaseModel):
    """What a modal must remember between opening and submission (in private_metadata)."""

    model_config = ConfigDict(extra="ignore")

    number: int | None = None
    version: int | None = None
    source: Source = Source.SLASH_COMMAND
    channel_id: str | None = None
    message_ts: str | None = None
    response_url: str | None = None
    page: int = 0

    def dump(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def load(cls, view: dict) -> ModalContext:
        """Never raises: a form with unreadable context acts on nothing and says so."""
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            return cls()


class ItemFormContext(BaseModel):
    """The related-item form remembers its ticket, its kind and the Related modal under it."""

    model_config = ConfigDict(extra="ignore")

    number: int
    kind: RelatedKind
    parent_view_id: str | None = None

    def dump(self) -> str:
        return self.model_dump_json()

    @classmethod
    def load(cls, view: dict) -> ItemFormContext | None:
        """None when the form's context cannot be read (a form from an older version)."""
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            return None


USER_ID = re.compile(r"[UW][A-Z0-9]{1,31}")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{1,31}")

FIELD_BLOCKS = {
    "title": InputId.TITLE,
    "description": InputId.DESCRIPTION,
    "priority": InputId.PRIORITY,
    "engagement": InputId.ENGAGEMENT,
    "category": InputId.CATEGORY,
    "assignee_id": InputId.ASSIGNEE,
    "party_id": InputId.PARTY,
    "party": InputId.PARTY,
    "product": InputId.PRODUCT,
    "visibility": InputId.VISIBILITY,
    "solution": InputId.SOLUTION,
    "comment": InputId.COMMENT_TEXT,
    "ticket": InputId.TICKET_PICKER,
}


def states(view: dict) -> dict[str, dict[str, dict]]:
    """{block_id: {action_id: element state}} as Slack reports the view's inputs."""
    values = (view.get("state") or {}).get("values") or {}
    return {
        block_id: {action: state for action, state in actions.items() if isinstance(state, dict)}
        for block_id, actions in values.items()
        if isinstance(actions, dict)
    }


def element_value(state: dict) -> Any:
    """The value of one input, read the way its kind of element reports it."""
    kind = state.get("type")
    if kind == "users_select":
        return state.get("selected_user")
    if kind in ("static_select", "external_select", "radio_buttons"):
        selected = state.get("selected_option")
        return selected.get("value") if isinstance(selected, dict) else None
    if kind == "file_input":
        return state.get("files") or []
    if kind == "datepicker":
        return state.get("selected_date")
    if kind == "multi_users_select":
        chosen = state.get("selected_users") or []
        return [u for u in chosen if isinstance(u, str) and USER_ID.fullmatch(u)]
    if kind == "conversations_select":
        chosen = state.get("selected_conversation")
        return chosen if isinstance(chosen, str) and CHANNEL_ID.fullmatch(chosen) else None
    if kind == "multi_conversations_select":
        chosen = state.get("selected_conversations") or []
        return [c for c in chosen if isinstance(c, str) and CHANNEL_ID.fullmatch(c)]
    if kind == "multi_external_select":
        chosen = state.get("selected_options") or []
        return [o.get("value") for o in chosen if isinstance(o, dict) and o.get("value")]
    if kind == "timepicker":
        return state.get("selected_time")
    if kind == "checkboxes":
        return [o.get("value") for o in state.get("selected_options") or [] if isinstance(o, dict)]
    return state.get("value")


def submitted(view: dict) -> dict[str, Any]:
    """{block_id: value} of every input in the submitted view."""
    values: dict[str, Any] = {}
    for block_id, actions in states(view).items():
        for state in actions.values():
            values[block_id] = element_value(state)
    return values


def text_of(view: dict, block_id: str) -> str:
    """What was typed in one text input ("" when empty or missing)."""
    value = submitted(view).get(block_id)
    return value if isinstance(value, str) else ""


def _initial_value(element: dict) -> str | None:
    if "initial_user" in element:
        return element["initial_user"]
    if "initial_option" in element:
        return (element["initial_option"] or {}).get("value")
    return element.get("initial_value")


def initial(view: dict) -> dict[str, str | None]:
    """{block_id: value} as the form was opened, read back from the view Slack returns."""
    return {
        block["block_id"]: _initial_value(block.get("element") or {})
        for block in view.get("blocks", [])
        if isinstance(block, dict) and block.get("type") == "input" and "block_id" in block
    }


def changed(view: dict) -> dict[str, Any]:
    """Only what the user changed in the form, so untouched fields are never written back."""
    before = initial(view)
    return {
        block_id: value
        for block_id, value in submitted(view).items()
        if (value or None) != (before.get(block_id) or None)
    }


def error_for(field: str | None, message: str, default: str = InputId.TITLE) -> dict:
    return errors_on(FIELD_BLOCKS.get(field or "", default), message)


def errors_on(block_id: str, message: str) -> dict:
    """The answer to a view submission that shows `message` under one input."""
    return {"response_action": "errors", "errors": {block_id: message}}
