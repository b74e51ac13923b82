"""Reading submitted modals: values by block, what the user changed, errors placed on blocks."""

from __future__ import annotations

from ticketbot.ids import BlockId

FIELD_BLOCKS = {
    "title": BlockId.TITLE,
    "description": BlockId.DESCRIPTION,
    "priority": BlockId.PRIORITY,
    "engagement": BlockId.ENGAGEMENT,
    "category": BlockId.CATEGORY,
    "assignee_id": BlockId.ASSIGNEE,
    "party_id": BlockId.PARTY,
    "party": BlockId.PARTY,
    "product": BlockId.PRODUCT,
    "visibility": BlockId.VISIBILITY,
    "solution": BlockId.SOLUTION,
    "comment": BlockId.COMMENT_TEXT,
    "ticket": BlockId.TICKET_PICKER,
}


def _element_value(state: dict) -> str | None:
    kind = state.get("type")
    if kind == "users_select":
        return state.get("selected_user")
    if kind in ("static_select", "external_select", "radio_buttons"):
        selected = state.get("selected_option")
        return selected.get("value") if selected else None
    return state.get("value")


def submitted(view: dict) -> dict[str, str | None]:
    """{block_id: value} of every input in the submitted view."""
    values: dict[str, str | None] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for state in actions.values():
            values[block_id] = _element_value(state)
    return values


def _initial_value(element: dict) -> str | None:
    if "initial_user" in element:
        return element["initial_user"]
    if "initial_option" in element:
        return element["initial_option"].get("value")
    return element.get("initial_value")


def initial(view: dict) -> dict[str, str | None]:
    """{block_id: value} as the form was opened, read back from the view Slack returns."""
    return {
        block["block_id"]: _initial_value(block.get("element") or {})
        for block in view.get("blocks", [])
        if block.get("type") == "input" and "block_id" in block
    }


def changed(view: dict) -> dict[str, str | None]:
    """Only what the user changed in the form, so untouched fields are never written back."""
    before = initial(view)
    return {
        block_id: value
        for block_id, value in submitted(view).items()
        if (value or None) != (before.get(block_id) or None)
    }


def error_for(field: str | None, message: str, default: str = BlockId.TITLE) -> dict:
    return {
        "response_action": "errors",
        "errors": {FIELD_BLOCKS.get(field or "", default): message},
    }
