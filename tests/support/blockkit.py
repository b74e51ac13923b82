"""Block Kit rules the fake Slack enforces on every message and view the app sends.

Two layers, because neither is enough alone: slack_sdk's own models (parse, validate,
round-trip) catch structural mistakes and fields Slack does not know, but they skip several
documented limits (field text length, plain_text_input max_length, initial options that are
not offered, duplicate ids, empty text). Those are checked explicitly here, with a JSON
pointer to the offending field so a failing test says exactly what to fix.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

INVALID_BLOCKS = "invalid_blocks"
INVALID_ARGUMENTS = "invalid_arguments"
MSG_TOO_LONG = "msg_too_long"

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
RICH_TEXT_CONTAINERS = {
    "rich_text_section",
    "rich_text_list",
    "rich_text_preformatted",
    "rich_text_quote",
}
RICH_TEXT_ELEMENTS = {
    "text",
    "link",
    "emoji",
    "user",
    "usergroup",
    "channel",
    "broadcast",
    "date",
    "color",
}


class Problem(NamedTuple):
    code: str  # the `error` Slack answers with
    detail: str  # "<json pointer>: <what is wrong>"


def _is_empty(value: Any) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


def _dropped_keys(sent: Any, rendered: Any, path: str) -> Iterator[str]:
    """Paths the app sent that slack_sdk's round-trip lost: unknown or misplaced fields."""
    if isinstance(sent, dict):
        if not isinstance(rendered, dict):
            yield f"{path} (whole object)"
            return
        for key, value in sent.items():
            if _is_empty(value):
                continue  # the SDK omits empty values by design; not a silent drop
            if key not in rendered:
                yield f"{path}/{key}"
            else:
                yield from _dropped_keys(value, rendered[key], f"{path}/{key}")
    elif isinstance(sent, list) and isinstance(rendered, list):
        if len(rendered) != len(sent):
            yield f"{path} ({len(sent) - len(rendered)} item(s))"
            return
        for index, (a, b) in enumerate(zip(sent, rendered, strict=True)):
            yield from _dropped_keys(a, b, f"{path}/{index}")


def _option_key(option: Any) -> tuple[Any, Any]:
    if not isinstance(option, dict):
        return (None, None)
    text = option.get("text")
    return option.get("value"), text.get("text") if isinstance(text, dict) else text


class _Checker:
    def __init__(self, code: str) -> None:
        self.code = code
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.code, f"{path}: {message}"))

    def max_len(self, value: Any, limit: int, path: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(path, f"must be at most {limit} characters (got {len(value)})")

    def text(
        self,
        obj: Any,
        path: str,
        *,
        limit: int | None = None,
        plain_only: bool = False,
        required: bool = False,
    ) -> None:
        if obj is None:
            if required:
                self.fail(path, "is required")
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail(path, "must be a plain_text or mrkdwn text object")
            return
        if plain_only and obj["type"] != "plain_text":
            self.fail(f"{path}/type", "must be plain_text here")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail(f"{path}/text", "must be more than 0 characters")
        elif limit is not None:
            self.max_len(text, limit, f"{path}/text")

    def items(self, value: Any, path: str, limit: int) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(path, "must be a non-empty array")
            return []
        if len(value) > limit:
            self.fail(path, f"must have at most {limit} items (got {len(value)})")
        return value

    def blocks(self, blocks: Any, path: str, max_blocks: int) -> None:
        if not isinstance(blocks, list):
            self.fail(path, "must be an array of blocks")
            return
        if len(blocks) > max_blocks:
            self.fail(path, f"must have at most {max_blocks} blocks (got {len(blocks)})")
        seen: set[str] = set()
        for index, block in enumerate(blocks):
            where = f"{path}/{index}"
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                self.fail(where, "must be an object with a type")
                continue
            block_id = block.get("block_id")
            if block_id is not None:
                if block_id in seen:
                    self.fail(f"{where}/block_id", f"duplicate block_id {block_id!r}")
                seen.add(block_id)
            before = len(self.problems)
            self.block(block, where)
            if len(self.problems) == before:  # the SDK would only repeat what was found
                self.sdk_round_trip(block, where)

    def sdk_round_trip(self, block: dict[str, Any], path: str) -> None:
        try:
            parsed = Block.parse(copy.deepcopy(block))
            if parsed is None:
                self.fail(f"{path}/type", f"unknown block type {block['type']!r}")
                return
            parsed.validate_json()
            rendered = parsed.to_dict()  # validates nested elements and objects too
        except Exception as exc:  # the SDK raises TypeError, ValueError and its own errors
            self.fail(path, f"slack_sdk rejects the block: {exc}")
            return
        for dropped in _dropped_keys(block, rendered, path):
            self.fail(dropped, "not a field of this object (slack_sdk dropped it)")

    def block(self, block: dict[str, Any], path: str) -> None:
        kind = block["type"]
        self.max_len(block.get("block_id"), 255, f"{path}/block_id")
        if kind == "section":
            self.text(block.get("text"), f"{path}/text", limit=3000)
            if "fields" in block:
                fields = self.items(block["fields"], f"{path}/fields", 10)
                for index, field in enumerate(fields):
                    self.text(field, f"{path}/fields/{index}", limit=2000, required=True)
            elif "text" not in block:
                self.fail(path, "a section needs text or fields")
        elif kind == "header":
            self.text(block.get("text"), f"{path}/text", limit=150, plain_only=True, required=True)
        elif kind == "context":
            for index, item in enumerate(self.items(block.get("elements"), f"{path}/elements", 10)):
                if not (isinstance(item, dict) and item.get("type") == "image"):
                    self.text(item, f"{path}/elements/{index}", required=True)
        elif kind == "actions":
            action_ids: set[str] = set()
            elements = self.items(block.get("elements"), f"{path}/elements", 25)
            for index, element in enumerate(elements):
                action_id = element.get("action_id") if isinstance(element, dict) else None
                if action_id is not None and action_id in action_ids:
                    self.fail(f"{path}/elements/{index}/action_id", f"duplicate {action_id!r}")
                action_ids.add(action_id)
                self.element(element, f"{path}/elements/{index}")
        elif kind == "input":
            label, hint = block.get("label"), block.get("hint")
            self.text(label, f"{path}/label", limit=2000, plain_only=True, required=True)
            self.text(hint, f"{path}/hint", limit=2000, plain_only=True)
            if block.get("element") is None:
                self.fail(f"{path}/element", "is required")
            else:
                self.element(block["element"], f"{path}/element")
        elif kind == "rich_text":
            self.rich_text(block, path)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{path}/accessory")

    def rich_text(self, block: dict[str, Any], path: str) -> None:
        # slack_sdk keeps any dict here, so a mrkdwn object in a section slips through it.
        for index, container in enumerate(
            self.items(block.get("elements"), f"{path}/elements", 100)
        ):
            where = f"{path}/elements/{index}"
            kind = container.get("type") if isinstance(container, dict) else None
            if kind not in RICH_TEXT_CONTAINERS:
                self.fail(f"{where}/type", f"must be one of {sorted(RICH_TEXT_CONTAINERS)}")
                continue
            allowed = {"rich_text_section"} if kind == "rich_text_list" else RICH_TEXT_ELEMENTS
            for i, item in enumerate(container.get("elements") or []):
                if not isinstance(item, dict) or item.get("type") not in allowed:
                    item_type = item.get("type") if isinstance(item, dict) else item
                    self.fail(f"{where}/elements/{i}", f"{item_type!r} not allowed in {kind}")

    def element(self, element: Any, path: str) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.fail(path, "must be an element object with a type")
            return
        kind = element["type"]
        self.max_len(element.get("action_id"), 255, f"{path}/action_id")
        self.text(element.get("placeholder"), f"{path}/placeholder", limit=150, plain_only=True)
        if kind == "button":
            self.text(element.get("text"), f"{path}/text", limit=75, plain_only=True, required=True)
            self.max_len(element.get("value"), 2000, f"{path}/value")
            self.max_len(element.get("url"), 3000, f"{path}/url")
        self.options(element, path)
        if kind == "plain_text_input":
            self.plain_text_input(element, path)

    def options(self, element: dict[str, Any], path: str) -> None:
        # Only checkboxes and radio buttons may render mrkdwn in their options.
        plain_only = element["type"] not in ("checkboxes", "radio_buttons")
        offered: list[Any] = []
        for index, option in enumerate(element.get("options") or []):
            self.option(option, f"{path}/options/{index}", plain_only)
            offered.append(option)
        for g_index, group in enumerate(element.get("option_groups") or []):
            where = f"{path}/option_groups/{g_index}"
            if not isinstance(group, dict):
                self.fail(where, "must be an option group object")
                continue
            self.text(
                group.get("label"), f"{where}/label", limit=75, plain_only=True, required=True
            )
            for index, option in enumerate(group.get("options") or []):
                self.option(option, f"{where}/options/{index}", True)
                offered.append(option)
        if "options" not in element and "option_groups" not in element:
            return  # external selects and friends: nothing to compare initial values with
        initial = element.get("initial_options") or []
        if element.get("initial_option") is not None:
            initial = [element["initial_option"]]
        offered_keys = [_option_key(option) for option in offered]
        for option in initial:
            if _option_key(option) not in offered_keys:  # Slack wants text and value to match
                self.fail(f"{path}/initial_option", f"{option!r} is not one of the options")

    def option(self, option: Any, path: str, plain_only: bool) -> None:
        if not isinstance(option, dict):
            self.fail(path, "must be an option object")
            return
        self.text(
            option.get("text"), f"{path}/text", limit=75, plain_only=plain_only, required=True
        )
        self.text(option.get("description"), f"{path}/description", limit=75)
        value = option.get("value")
        if not isinstance(value, str) or not value:
            self.fail(f"{path}/value", "must be a non-empty string")
        else:
            self.max_len(value, 150, f"{path}/value")

    def plain_text_input(self, element: dict[str, Any], path: str) -> None:
        lengths = {key: element.get(key) for key in ("min_length", "max_length")}
        for key, value in lengths.items():
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 3000):
                self.fail(f"{path}/{key}", f"must be an integer from 0 to 3000 (got {value!r})")
        low, high = lengths["min_length"], lengths["max_length"]
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.fail(f"{path}/min_length", f"{low} is greater than max_length {high}")
        limit = high if isinstance(high, int) else 3000
        initial = element.get("initial_value")
        if isinstance(initial, str) and len(initial) > limit:
            self.fail(f"{path}/initial_value", f"is {len(initial)} characters, max_length {limit}")


def message_problems(args: Mapping[str, Any]) -> list[Problem]:
    """Problems with a chat.postMessage/postEphemeral/update or response_url body."""
    problems: list[Problem] = []
    text, blocks = args.get("text"), args.get("blocks")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        problems.append(Problem(MSG_TOO_LONG, f"/text: {len(text)} characters, at most 40000"))
    if blocks is not None:
        if blocks and (not isinstance(text, str) or not text.strip()):
            # Slack only warns, but notifications and screen readers show nothing without it.
            problems.append(
                Problem(INVALID_ARGUMENTS, "/text: fallback text is required with blocks")
            )
        checker = _Checker(INVALID_BLOCKS)
        checker.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
        problems.extend(checker.problems)
    return problems


def view_problems(view: Any, method: str) -> list[Problem]:
    """Problems with the `view` argument of views.open/push/update/publish."""
    # Slack answers invalid_arguments for any problem inside a view, blocks included.
    checker = _Checker(INVALID_ARGUMENTS)
    if not isinstance(view, dict):
        checker.fail("/view", "must be a view object")
        return checker.problems
    kind = view.get("type")
    wanted = {"views.publish": ("home",), "views.update": ("modal", "home")}.get(method, ("modal",))
    if kind not in wanted:
        checker.fail("/view/type", f"must be {' or '.join(wanted)} for {method} (got {kind!r})")
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", limit=24, plain_only=True, required=True)
        checker.text(view.get("submit"), "/view/submit", limit=24, plain_only=True)
        checker.text(view.get("close"), "/view/close", limit=24, plain_only=True)
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            checker.fail("/view/submit", "is required when the modal has input blocks")
    checker.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    checker.max_len(view.get("callback_id"), 255, "/view/callback_id")
    checker.max_len(view.get("external_id"), 255, "/view/external_id")
    if view.get("blocks") is None:
        checker.fail("/view/blocks", "is required")
    else:
        checker.blocks(view["blocks"], "/view/blocks", MAX_VIEW_BLOCKS)
    if not checker.problems:  # the SDK would mostly repeat what was found, less precisely
        try:
            View(**view).validate_json()
        except Exception as exc:  # TypeError for missing/odd fields, SlackObjectFormationError
            checker.fail("/view", f"slack_sdk rejects the view: {exc}")
    return checker.problems
