"""Block Kit building blocks, each cut to Slack's limits so no user text can break a message."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ticketbot.i18n import label
from ticketbot.views.limits import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    FIELD_TEXT,
    HEADER_TEXT,
    HINT_TEXT,
    INPUT_VALUE,
    LABEL_TEXT,
    MAX_ACTIONS_ELEMENTS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELDS,
    MAX_MESSAGE_BLOCKS,
    MAX_OPTIONS,
    MAX_VIEW_BLOCKS,
    MESSAGE_FALLBACK,
    MODAL_BUTTON,
    MODAL_TITLE,
    OPTION_TEXT,
    OPTION_VALUE,
    PLACEHOLDER_TEXT,
    SECTION_TEXT,
)
from ticketbot.views.text import mrkdwn, plain, truncate


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(text: str, *, block_id: str | None = None, accessory: dict | None = None) -> dict:
    block: dict = {"type": "section", "text": mrkdwn(text, SECTION_TEXT)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: Iterable[tuple[str, str]]) -> dict:
    """A two-column section of `*label*\\nvalue` pairs (Slack shows at most ten)."""
    items = [mrkdwn(f"*{name}*\n{value}", FIELD_TEXT) for name, value in pairs]
    return {"type": "section", "fields": items[:MAX_FIELDS]}


def context(*texts: str) -> dict:
    return {
        "type": "context",
        "elements": [mrkdwn(t, SECTION_TEXT) for t in texts if t][:MAX_CONTEXT_ELEMENTS],
    }


def divider() -> dict:
    return {"type": "divider"}


def actions(elements: list[dict], *, block_id: str | None = None) -> dict:
    block: dict = {"type": "actions", "elements": elements[:MAX_ACTIONS_ELEMENTS]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    style: str | None = None,
    url: str | None = None,
) -> dict:
    element: dict = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id}
    if value is not None:
        element["value"] = value[:BUTTON_VALUE]
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def option(text: str, value: str) -> dict:
    return {"text": plain(text, OPTION_TEXT), "value": value[:OPTION_VALUE]}


def enum_options(members: Iterable[StrEnum]) -> list[dict]:
    return [option(label(m), m.value) for m in members]


def static_select(
    action_id: str,
    options: list[dict],
    *,
    initial: str | None = None,
    placeholder: str | None = None,
) -> dict:
    element: dict = {
        "type": "static_select",
        "action_id": action_id,
        "options": options[:MAX_OPTIONS],
    }
    chosen = next((o for o in element["options"] if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_TEXT)
    return element


def users_select(action_id: str, *, initial: str | None, placeholder: str) -> dict:
    element: dict = {
        "type": "users_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, PLACEHOLDER_TEXT),
    }
    if initial:
        element["initial_user"] = initial
    return element


def text_input(
    action_id: str,
    *,
    initial: str | None = None,
    multiline: bool = False,
    max_length: int = INPUT_VALUE,
    placeholder: str | None = None,
) -> dict:
    element: dict = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = truncate(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_TEXT)
    return element


def input_block(
    block_id: str,
    label_text: str,
    element: dict,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> dict:
    block: dict = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label_text, LABEL_TEXT),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, HINT_TEXT)
    if dispatch:
        block["dispatch_action"] = True
    return block


def modal(
    title: str,
    blocks: list[dict],
    *,
    callback_id: str,
    submit: str | None = None,
    close: str | None = None,
    private_metadata: str = "",
) -> dict:
    view: dict = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, MODAL_BUTTON)
    if close:
        view["close"] = plain(close, MODAL_BUTTON)
    return view


def message(text: str, blocks: list[dict]) -> dict:
    """A message: blocks within Slack's 50, and the fallback text notifications show."""
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - 1], context("…")]
    return {"text": truncate(text, MESSAGE_FALLBACK), "blocks": blocks}
