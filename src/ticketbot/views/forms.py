"""Modals that collect input: create, edit, close with a solution, comment, link a message."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from ticketbot.i18n import _, label
from ticketbot.ids import NEW_PARTY_PREFIX, CallbackId, InputId
from ticketbot.services.faq import FaqHit
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX
from ticketbot.store.models import Party, Ticket
from ticketbot.views.blocks import (
    context,
    enum_options,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
    users_select,
)
from ticketbot.views.faq import suggestions_block, with_state
from ticketbot.views.limits import OPTION_TEXT
from ticketbot.views.text import safe, truncate
from ticketbot.vocabulary import Engagement, Priority, Visibility

MODAL_NAME_MAX = 75


def party_option(party: Party) -> dict:
    return option(f"{label(party.kind)}: {party.name}", str(party.id))


def new_party_option(kind, name: str) -> dict:
    text = _("New {kind}: {name}").format(kind=label(kind).lower(), name=name)
    return option(f"➕ {truncate(text, OPTION_TEXT - 2)}", f"{NEW_PARTY_PREFIX}{kind.value}:{name}")


def _select_or_text(
    block_id: str, action_id: str, title: str, choices: list[str], initial: str | None
) -> dict:
    """A select when the config lists the choices, free text otherwise."""
    if choices:
        options = [option(c, c) for c in choices]
        if initial and initial not in choices:
            options.append(option(initial, initial))  # a value the config no longer lists
        element = static_select(action_id, options, initial=initial, placeholder=title)
    else:
        element = text_input(action_id, initial=initial, max_length=MODAL_NAME_MAX)
    return input_block(block_id, title, element, optional=True)


Choices = Sequence[tuple[str, str]]  # (key, name) of each queue


def _queue_block(queues: Choices, queue: str | None) -> dict:
    """The Queue select, when there are several: choosing one offers its categories."""
    element = static_select(
        InputId.QUEUE, [option(name, key) for key, name in queues], initial=queue or queues[0][0]
    )
    return input_block(InputId.QUEUE, _("Queue"), element, dispatch=True)


def with_queue(view: dict, values: dict, *, categories: list[str], products: list[str]) -> dict:
    """The form as the user has it, its Category and Product offering another queue's."""
    fresh = {
        InputId.CATEGORY: _select_or_text(
            InputId.CATEGORY, InputId.CATEGORY, _("Category"), categories, None
        ),
        InputId.PRODUCT: _select_or_text(
            InputId.PRODUCT, InputId.PRODUCT, _("Product"), products, None
        ),
    }
    blocks = []
    for block in copy.deepcopy(view.get("blocks") or []):
        block_id = block.get("block_id")
        if block_id in fresh:
            block = fresh[block_id]
        elif block.get("type") == "input":
            element = block.get("element") or {}
            state = (values.get(block_id) or {}).get(element.get("action_id"))
            if state:
                with_state(element, state)
        blocks.append(block)
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{k: copy.deepcopy(view[k]) for k in kept if view.get(k) is not None},
            "blocks": blocks}  # fmt: skip


def ticket_form_blocks(
    *,
    categories: list[str],
    products: list[str],
    queues: Choices = (),
    queue: str | None = None,
    title: str = "",
    description: str = "",
    priority: Priority = Priority.NORMAL,
    engagement: Engagement = Engagement.STANDARD,
    category: str | None = None,
    assignee_id: str | None = None,
    party: Party | None = None,
    product: str | None = None,
    visibility: Visibility = Visibility.PUBLIC,
) -> list[dict]:
    party_select: dict = {
        "type": "external_select",
        "action_id": InputId.PARTY,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": _("Search or add an account, contact…")},
    }
    if party is not None:
        party_select["initial_option"] = party_option(party)
    visibility_options = enum_options(Visibility)
    queue_choice = [_queue_block(queues, queue)] if len(queues) > 1 else []
    return [
        input_block(
            InputId.TITLE,
            _("Title"),
            text_input(InputId.TITLE, initial=title, max_length=TITLE_MAX),
        ),
        input_block(
            InputId.DESCRIPTION,
            _("Description"),
            text_input(
                InputId.DESCRIPTION, initial=description, multiline=True, max_length=TEXT_MAX
            ),
            optional=True,
        ),
        *queue_choice,
        input_block(
            InputId.PRIORITY,
            _("Priority"),
            static_select(InputId.PRIORITY, enum_options(Priority), initial=priority.value),
        ),
        input_block(
            InputId.ENGAGEMENT,
            _("Engagement"),
            static_select(InputId.ENGAGEMENT, enum_options(Engagement), initial=engagement.value),
            hint=_("Time within which the ticket must be closed. Standard follows the priority."),
        ),
        _select_or_text(InputId.CATEGORY, InputId.CATEGORY, _("Category"), categories, category),
        input_block(
            InputId.ASSIGNEE,
            _("Assign to"),
            users_select(InputId.ASSIGNEE, initial=assignee_id, placeholder=_("Nobody yet")),
            optional=True,
        ),
        input_block(
            InputId.PARTY,
            _("Related to"),
            party_select,
            optional=True,
            hint=_("Type a name: pick an existing one or add it as a new one."),
        ),
        _select_or_text(InputId.PRODUCT, InputId.PRODUCT, _("Product"), products, product),
        input_block(
            InputId.VISIBILITY,
            _("Visibility"),
            {
                "type": "radio_buttons",
                "action_id": InputId.VISIBILITY,
                "options": visibility_options,
                "initial_option": next(
                    o for o in visibility_options if o["value"] == visibility.value
                ),
            },
            hint=_("Internal tickets are seen only by agents and the requester."),
        ),
    ]


def create_modal(
    *,
    categories: list[str],
    products: list[str],
    metadata: str,
    queues: Choices = (),
    queue: str | None = None,
    title: str = "",
    description: str = "",
    note: str | None = None,
    suggestions: list[FaqHit] | None = None,
) -> dict:
    """`suggestions`: FAQ entries matching the title, shown under it (None: no section)."""
    blocks = ticket_form_blocks(
        categories=categories, products=products, title=title, description=description,
        queues=queues, queue=queue,
    )  # fmt: skip
    # Enter in Title asks for FAQ suggestions (handlers.faq), replacing the section in place.
    blocks[0]["dispatch_action"] = True
    blocks[0]["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    if suggestions is not None:
        blocks.insert(1, suggestions_block(suggestions))
    if note:
        blocks.insert(0, context(note))
    return modal(
        _("New ticket"),
        blocks,
        callback_id=CallbackId.CREATE_MODAL,
        submit=_("Create"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def edit_modal(
    ticket: Ticket,
    *,
    categories: list[str],
    products: list[str],
    metadata: str,
    queues: Choices = (),
) -> dict:
    """`queues`: where the editor may move it (only its queue's agents may)."""
    blocks = ticket_form_blocks(
        categories=categories,
        products=products,
        queues=queues,
        queue=ticket.queue,
        title=ticket.title,
        description=ticket.description,
        priority=Priority(ticket.priority),
        engagement=Engagement(ticket.engagement),
        category=ticket.category,
        assignee_id=ticket.assignee_id,
        party=ticket.party,
        product=ticket.product,
        visibility=Visibility(ticket.visibility),
    )
    blocks.append(
        input_block(
            InputId.SOLUTION,
            _("Solution"),
            text_input(
                InputId.SOLUTION, initial=ticket.solution, multiline=True, max_length=TEXT_MAX
            ),
            optional=True,
        )
    )
    return modal(
        _("Edit #{number}").format(number=ticket.number),
        blocks,
        callback_id=CallbackId.EDIT_MODAL,
        submit=_("Save"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def close_modal(ticket: Ticket, *, metadata: str) -> dict:
    return modal(
        _("Close #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
            input_block(
                InputId.SOLUTION,
                _("Solution"),
                text_input(
                    InputId.SOLUTION,
                    initial=ticket.solution,
                    multiline=True,
                    max_length=TEXT_MAX,
                    placeholder=_("What solved it? The requester will see this."),
                ),
            ),
        ],
        callback_id=CallbackId.CLOSE_MODAL,
        submit=_("Close ticket"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def comment_modal(ticket: Ticket, *, metadata: str) -> dict:
    return modal(
        _("Comment on #{number}").format(number=ticket.number),
        [
            section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
            input_block(
                InputId.COMMENT_TEXT,
                _("Comment"),
                text_input(InputId.COMMENT_TEXT, multiline=True, max_length=TEXT_MAX),
            ),
        ],
        callback_id=CallbackId.COMMENT_MODAL,
        submit=_("Add comment"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def link_modal(*, metadata: str, excerpt: str) -> dict:
    return modal(
        _("Link to ticket"),
        [
            context(_("Message") + ": " + safe(excerpt, 300)),
            input_block(
                InputId.TICKET_PICKER,
                _("Ticket"),
                {
                    "type": "external_select",
                    "action_id": InputId.TICKET_PICKER,
                    "min_query_length": 0,
                    "placeholder": {"type": "plain_text", "text": _("Number or title words")},
                },
            ),
        ],
        callback_id=CallbackId.LINK_MODAL,
        submit=_("Link"),
        close=_("Cancel"),
        private_metadata=metadata,
    )
