"""What Slack's servers add to the payloads they hand out, shared by the fake and the sender.

Slack does not echo an app's blocks and views verbatim: it fills in `block_id`/`action_id`
where the app left them out, adds `emoji: true` to plain_text objects, completes views with
ids, hash and `state`, and reports every stateful input in `view.state.values` (null when
the user left it empty). Handlers that only ever see hand-written test payloads miss that,
so both halves of the harness build those shapes here.

Shapes follow Slack's interaction payload references and the payloads in bolt-python's tests.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import string
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

JsonDict = dict[str, Any]

# The fake workspace. The sender and the fake agree on these so Bolt's authorize step,
# ignoring-self-events middleware and team checks see consistent ids.
TEAM_ID = "T0TEAM001"
TEAM_NAME = "Test"
TEAM_DOMAIN = "test"
APP_ID = "A0APP0001"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
# Deprecated verification token: Slack still sends the field, Bolt ignores it.
VERIFICATION_TOKEN = "vErIfIcAtIoNtOkEn0000000"

_ALNUM = string.ascii_letters + string.digits
_ID_CHARS = _ALNUM + "+="

# element type -> (state field, initial_* field on the element, value when nothing is chosen)
_STATE_FIELDS: dict[str, tuple[str, str | None, Any]] = {
    "plain_text_input": ("value", "initial_value", None),
    "email_text_input": ("value", "initial_value", None),
    "url_text_input": ("value", "initial_value", None),
    "number_input": ("value", "initial_value", None),
    "rich_text_input": ("rich_text_value", "initial_value", None),
    "static_select": ("selected_option", "initial_option", None),
    "external_select": ("selected_option", "initial_option", None),
    "radio_buttons": ("selected_option", "initial_option", None),
    "multi_static_select": ("selected_options", "initial_options", []),
    "multi_external_select": ("selected_options", "initial_options", []),
    "checkboxes": ("selected_options", "initial_options", []),
    "users_select": ("selected_user", "initial_user", None),
    "multi_users_select": ("selected_users", "initial_users", []),
    "conversations_select": ("selected_conversation", "initial_conversation", None),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", []),
    "channels_select": ("selected_channel", "initial_channel", None),
    "multi_channels_select": ("selected_channels", "initial_channels", []),
    "datepicker": ("selected_date", "initial_date", None),
    "timepicker": ("selected_time", "initial_time", None),
    "datetimepicker": ("selected_date_time", "initial_date_time", None),
    "file_input": ("files", None, []),
}
_NOT_INTERACTIVE = {"image", "plain_text", "mrkdwn"}


def random_id(rng: random.Random, length: int = 4, alphabet: str = _ID_CHARS) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def interactive_elements(block: Mapping[str, Any]) -> Iterator[JsonDict]:
    """Elements of a block that carry an action_id (accessory, input element, actions)."""
    candidates: list[Any] = [block.get("accessory")]
    if block.get("type") == "input":
        candidates.append(block.get("element"))
    if block.get("type") == "actions":
        candidates.extend(block.get("elements") or [])
    for element in candidates:
        if isinstance(element, dict) and element.get("type") not in _NOT_INTERACTIVE:
            yield element


def _default_emoji(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            node.setdefault("emoji", True)
        for value in node.values():
            _default_emoji(value)
    elif isinstance(node, list):
        for item in node:
            _default_emoji(item)


def rendered_blocks(blocks: Sequence[Any], rng: random.Random) -> list[Any]:
    """Blocks as Slack stores and returns them: generated ids and defaults filled in."""
    out = copy.deepcopy(list(blocks))
    for block in out:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", random_id(rng))
        if block.get("type") == "input":
            block.setdefault("optional", False)
            block.setdefault("dispatch_action", False)
        for element in interactive_elements(block):
            element.setdefault("action_id", random_id(rng, 5))
    _default_emoji(out)
    return out


def complete_view(
    view: Mapping[str, Any],
    *,
    view_id: str,
    rng: random.Random,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    view_hash: str | None = None,
    team_id: str = TEAM_ID,
    bot_id: str = BOT_ID,
) -> JsonDict:
    """A view as views.open/push/update/publish return it and as interaction payloads carry it
    (`team_id`: the workspace whose bot opened it)."""
    extras = copy.deepcopy(
        {"title": view.get("title"), "close": view.get("close"), "submit": view.get("submit")}
    )
    _default_emoji(extras)
    return {
        "id": view_id,
        "team_id": team_id,
        "type": view.get("type", "modal"),
        "blocks": rendered_blocks(view.get("blocks") or [], rng),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": view_hash or f"{int(time.time())}.{random_id(rng, 8, _ALNUM)}",
        "title": extras["title"],
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": extras["close"],
        "submit": extras["submit"],
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }


def stateful_elements(blocks: Sequence[Any]) -> dict[tuple[str, str], JsonDict]:
    """(block_id, action_id) -> element, for every element Slack reports in state.values."""
    found: dict[tuple[str, str], JsonDict] = {}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in interactive_elements(block):
            if element.get("type") in _STATE_FIELDS:
                found[(str(block.get("block_id")), str(element.get("action_id")))] = element
    return found


def _offered_options(element: Mapping[str, Any]) -> list[JsonDict] | None:
    if "options" not in element and "option_groups" not in element:
        return None  # external selects: options come from the app at runtime
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _chosen_option(element: Mapping[str, Any], option: Any, where: str) -> JsonDict:
    """Slack echoes the option exactly as the app defined it, so look it up by value."""
    if isinstance(option, str):
        option = {"value": option}
    if not isinstance(option, Mapping) or "value" not in option:
        raise ValueError(f"{where}: an option needs a 'value', got {option!r}")
    offered = _offered_options(element)
    if offered is None:
        text = option.get("text") or {"type": "plain_text", "text": option["value"], "emoji": True}
        return {**option, "text": text}
    for candidate in offered:
        if candidate.get("value") == option["value"]:
            return copy.deepcopy(candidate)
    values = [candidate.get("value") for candidate in offered]
    raise ValueError(f"{where}: option {option['value']!r} is not offered; options are {values}")


def initial_state_value(element: Mapping[str, Any]) -> JsonDict:
    field, initial_key, empty = _STATE_FIELDS[element["type"]]
    initial = element.get(initial_key) if initial_key else None
    value = copy.deepcopy(initial) if initial is not None else copy.deepcopy(empty)
    if isinstance(value, dt.date):
        value = value.isoformat()
    return {"type": element["type"], field: value}


def resolve_state_value(element: Mapping[str, Any], given: Any, where: str) -> JsonDict:
    """Turn a helper's value (plain(), static(), ...) into what Slack reports for `element`."""
    etype = element["type"]
    field = _STATE_FIELDS[etype][0]
    if isinstance(given, str) and field == "value":
        given = {"value": given}
    if not isinstance(given, Mapping):
        raise TypeError(f"{where}: state value must be a dict from the helpers, got {given!r}")
    if field not in given:
        raise ValueError(
            f"{where}: element is a {etype} (reports {field!r}) but the test sent "
            f"{given.get('type', 'a value')} with {sorted(k for k in given if k != 'type')}"
        )
    value = {"type": etype, **{k: copy.deepcopy(v) for k, v in given.items() if k != "type"}}
    if field == "selected_option" and value[field] is not None:
        value[field] = _chosen_option(element, value[field], where)
    elif field == "selected_options":
        value[field] = [_chosen_option(element, o, where) for o in value[field] or []]
    return value


def state_values(blocks: Sequence[Any], values: Mapping[str, Mapping[str, Any]] | None) -> JsonDict:
    """`state.values` for a surface: every stateful element, with the test's choices applied."""
    elements = stateful_elements(blocks)
    given = {(b, a): v for b, actions in (values or {}).items() for a, v in actions.items()}
    unknown = sorted(set(given) - set(elements))
    if unknown:
        raise ValueError(
            f"no input with (block_id, action_id) {unknown} on this surface; "
            f"inputs are {sorted(elements)}"
        )
    state: JsonDict = {}
    for (block_id, action_id), element in elements.items():
        where = f"{block_id}/{action_id}"
        if (block_id, action_id) in given:
            value = resolve_state_value(element, given[(block_id, action_id)], where)
        else:
            value = initial_state_value(element)
        state.setdefault(block_id, {})[action_id] = value
    return state


def find_element(
    blocks: Sequence[Any], action_id: str, block_id: str | None = None
) -> tuple[JsonDict, JsonDict]:
    """The (block, element) an action refers to, or ValueError: tests may only click
    what the app actually rendered."""
    seen: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in interactive_elements(block):
            seen.append(f"{block.get('block_id')}/{element.get('action_id')}")
            if element.get("action_id") == action_id and block_id in (None, block.get("block_id")):
                return block, element
    raise ValueError(f"no element {block_id or '*'}/{action_id} on this surface; found {seen}")


# State value helpers: what a user's input looks like in view.state.values.


def plain(value: str | None) -> JsonDict:
    return {"type": "plain_text_input", "value": value}


def number(value: str | int | float | None) -> JsonDict:
    return {"type": "number_input", "value": None if value is None else str(value)}


def static(value: str | None) -> JsonDict:
    """Picks the option with this value; its text is taken from the view, as Slack does."""
    return {"type": "static_select", "selected_option": None if value is None else {"value": value}}


def multi_static(values: Sequence[str]) -> JsonDict:
    return {"type": "multi_static_select", "selected_options": [{"value": v} for v in values]}


def radio(value: str | None) -> JsonDict:
    return {"type": "radio_buttons", "selected_option": None if value is None else {"value": value}}


def checkboxes(values: Sequence[str]) -> JsonDict:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def external(value: str, text: str) -> JsonDict:
    option = {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}
    return {"type": "external_select", "selected_option": option}


def users(user_id: str | None) -> JsonDict:
    return {"type": "users_select", "selected_user": user_id}


def multi_users(user_ids: Sequence[str]) -> JsonDict:
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def conversations(conversation_id: str | None) -> JsonDict:
    return {"type": "conversations_select", "selected_conversation": conversation_id}


def multi_conversations(conversation_ids: Sequence[str]) -> JsonDict:
    return {"type": "multi_conversations_select", "selected_conversations": list(conversation_ids)}


def channels(channel_id: str | None) -> JsonDict:
    return {"type": "channels_select", "selected_channel": channel_id}


def datepicker(date: str | dt.date | None) -> JsonDict:
    return {
        "type": "datepicker",
        "selected_date": date.isoformat() if isinstance(date, dt.date) else date,
    }


def timepicker(hh_mm: str | None) -> JsonDict:
    return {"type": "timepicker", "selected_time": hh_mm}
