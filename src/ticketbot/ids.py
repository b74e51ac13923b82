"""Every callback_id, action_id and block_id, typed once for views and handlers alike."""

from __future__ import annotations

import re
from enum import StrEnum


class CallbackId(StrEnum):
    CREATE_MODAL = "ticket_create"
    EDIT_MODAL = "ticket_edit"
    CLOSE_MODAL = "ticket_close"
    COMMENT_MODAL = "ticket_comment"
    HISTORY_MODAL = "ticket_history"
    RELATED_MODAL = "ticket_related"
    LINK_MODAL = "ticket_link"
    # Shortcuts, as declared in manifest.yml.
    SHORTCUT_CREATE = "message_create_ticket"
    SHORTCUT_LINK = "message_link_ticket"
    SHORTCUT_NEW = "global_new_ticket"
    EMAIL_MODAL = "ticket_email"
    RELATED_ITEM_MODAL = "related_item_add"
    FAQ_MODAL = "ticket_faq"
    # The conversation with the requester.
    REPLY_MODAL = "ticket_reply"  # an agent's reply to the requester
    ANSWER_MODAL = "ticket_answer"  # the requester's answer, from their status message
    RESOLVE_MODAL = "ticket_resolve"  # the requester closes their own ticket
    FOLLOWERS_MODAL = "ticket_followers"
    # Settings, in an admin's App Home.
    SETTINGS_QUEUES = "settings_queues"
    SETTINGS_QUEUE = "settings_queue"
    SETTINGS_DEADLINES = "settings_deadlines"
    SETTINGS_GENERAL = "settings_general"
    SETTINGS_HISTORY = "settings_history"
    SETTINGS_SETUP = "settings_setup"  # the first run


class InputId(StrEnum):
    """A form's input: the block_id of its input block and the action_id of its element."""

    # The ticket forms.
    TITLE = "title"
    DESCRIPTION = "description"
    PRIORITY = "priority"
    ENGAGEMENT = "engagement"
    CATEGORY = "category"
    ASSIGNEE = "assignee"
    PARTY = "party"
    PRODUCT = "product"
    VISIBILITY = "visibility"
    QUEUE = "queue"
    SOLUTION = "solution"
    COMMENT_TEXT = "comment_text"
    TICKET_PICKER = "ticket_picker"
    # The email form.
    EMAIL_TO = "email_to"
    EMAIL_SUBJECT = "email_subject"
    EMAIL_BODY = "email_body"
    # The related-item form and the FAQ form.
    ITEM_TITLE = "item_title"
    ITEM_REFERENCE = "item_reference"
    ITEM_URL = "item_url"
    ITEM_FILE = "item_file"
    ITEM_DETAILS = "item_details"
    ITEM_AMOUNT = "item_amount"
    ITEM_CURRENCY = "item_currency"
    ITEM_DUE_ON = "item_due_on"
    ITEM_MINUTES = "item_minutes"
    ITEM_WORKED_ON = "item_worked_on"
    ITEM_WORKER = "item_worker"
    FAQ_QUESTION = "faq_question"
    FAQ_ANSWER = "faq_answer"
    # The conversation's forms.
    REPLY_TEXT = "reply_text"
    REPLY_WAITING = "reply_waiting"
    FOLLOWERS = "followers"


class ActionId(StrEnum):
    # On the card and the /ticket show message.
    STATUS = "card_status"
    ASSIGN = "card_assign"
    EDIT = "card_edit"
    COMMENT = "card_comment"
    HISTORY = "card_history"
    RELATED = "card_related"
    SHARE = "ticket_share"
    OPEN_LINK = "open_link"  # URL buttons still send an action that must be acknowledged
    # Paging inside the history modal.
    HISTORY_PREVIOUS = "history_previous"
    HISTORY_NEXT = "history_next"
    # App Home and lists.
    NEW_TICKET = "new_ticket"
    SHOW_TICKET = "show_ticket"
    # The satisfaction buttons sent to the requester when a ticket closes: "rate:1" to "rate:5".
    RATE = "rate"
    EMAIL = "card_email"
    # The Related modal: "related_add:<kind>" buttons, and each item's Close/Remove menu.
    RELATED_ADD = "related_add"
    RELATED_ITEM = "related_item"
    FAQ_CONVERT = "faq_convert"
    # The conversation with the requester: on the card, and on their status message.
    REPLY_TO_REQUESTER = "card_reply"
    FOLLOW = "ticket_follow"
    STATUS_REPLY = "status_reply"
    STATUS_CLOSE = "status_close"
    STATUS_REOPEN = "status_reopen"
    STATUS_FOLLOWERS = "status_followers"
    NOTIFY_LEVEL = "home_notify"
    AWAY = "home_away"
    # `capture: ask`: the author of a message in a request channel says whether it is one.
    CAPTURE_RAISE = "capture_raise"
    CAPTURE_DISMISS = "capture_dismiss"
    # Settings, in an admin's App Home.
    SETTINGS_QUEUES = "settings_queues"
    SETTINGS_EDIT_QUEUE = "settings_edit_queue"
    SETTINGS_DEADLINES = "settings_deadlines"
    SETTINGS_GENERAL = "settings_general"
    SETTINGS_HISTORY = "settings_history"
    SETTINGS_SETUP = "settings_setup"  # the first run
    # Asked of whoever invited the bot to a channel: what the channel is for.
    CHANNEL_ROLE = "channel_role"


class BlockId(StrEnum):
    FAQ_SUGGESTIONS = "faq_suggestions"
    HISTORY_PAGER = "history_pager"
    # Prefix of blocks whose controls act on one ticket: "ticket:42".
    TICKET = "ticket"
    RELATED_ADD = "related_add"


_TICKET_BLOCK = re.compile(rf"^{BlockId.TICKET}:(\d+)(?::\w+)?$")


def ticket_block_id(number: int, part: str = "") -> str:
    return f"{BlockId.TICKET}:{number}" + (f":{part}" if part else "")


def ticket_number_from_block(block_id: str | None) -> int | None:
    match = _TICKET_BLOCK.match(block_id or "")
    return int(match.group(1)) if match else None


NEW_PARTY_PREFIX = "new:"  # option values of "Related to" that create the party on submit


RATING_ACTION = re.compile(rf"^{ActionId.RATE}:([1-5])$")


def rating_action_id(score: int) -> str:
    """One action_id per button: Slack wants them unique within a block."""
    return f"{ActionId.RATE}:{score}"


# Action ids within one actions block must differ, so each kind's Add button has its own.
RELATED_ADD_ACTION = re.compile(rf"^{ActionId.RELATED_ADD}:(\w+)$")


def related_add_action(kind: str) -> str:
    return f"{ActionId.RELATED_ADD}:{kind}"
