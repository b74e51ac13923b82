"""The form that adds one related item: its inputs fit the kind (services.related_input)."""

from __future__ import annotations

from datetime import date

from ticketbot.config import DEFAULT_CURRENCY
from ticketbot.i18n import _, label
from ticketbot.ids import CallbackId, InputId
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX
from ticketbot.services.related_input import MAX_MINUTES, PARTS, REFERENCE_MAX, Part
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import context, input_block, modal, text_input, users_select
from ticketbot.views.text import safe
from ticketbot.vocabulary import RelatedKind

# Which input block holds which field of services.related_input.parse_item.
FIELD_BLOCKS = {
    "title": InputId.ITEM_TITLE,
    "reference": InputId.ITEM_REFERENCE,
    "url": InputId.ITEM_URL,
    "file": InputId.ITEM_FILE,
    "details": InputId.ITEM_DETAILS,
    "amount": InputId.ITEM_AMOUNT,
    "currency": InputId.ITEM_CURRENCY,
    "due_on": InputId.ITEM_DUE_ON,
    "minutes": InputId.ITEM_MINUTES,
    "worked_on": InputId.ITEM_WORKED_ON,
    "worker_id": InputId.ITEM_WORKER,
}


def _title_label(kind: RelatedKind) -> str:
    return {
        RelatedKind.ACTIVITY: _("What is to be done"),
        RelatedKind.EMAIL: _("Subject"),
        RelatedKind.TIMESHEET: _("Work done"),
    }.get(kind, _("Title"))


def _datepicker(action_id: str, initial: date | None = None) -> dict:
    element: dict = {"type": "datepicker", "action_id": action_id}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def _part_blocks(
    kind: RelatedKind, part: Part, *, today: date, user_id: str, currency: str
) -> list[dict]:
    if part is Part.REFERENCE:
        words = _("From or to") if kind is RelatedKind.EMAIL else _("Reference")
        element = text_input(InputId.ITEM_REFERENCE, max_length=REFERENCE_MAX)
        return [input_block(InputId.ITEM_REFERENCE, words, element, optional=True)]
    if part is Part.URL:
        element = {"type": "url_text_input", "action_id": InputId.ITEM_URL}
        hint = _("Or attach a file above.") if kind is RelatedKind.DOCUMENT else None
        return [input_block(InputId.ITEM_URL, _("Link"), element, optional=True, hint=hint)]
    if part is Part.FILE:
        element = {"type": "file_input", "action_id": InputId.ITEM_FILE, "max_files": 1}
        return [input_block(InputId.ITEM_FILE, _("File"), element, optional=True)]
    if part is Part.DETAILS:
        words = _("Message") if kind is RelatedKind.EMAIL else _("Notes")
        element = text_input(InputId.ITEM_DETAILS, multiline=True, max_length=TEXT_MAX)
        return [input_block(InputId.ITEM_DETAILS, words, element, optional=True)]
    if part is Part.AMOUNT:
        optional = kind is not RelatedKind.EXPENSE
        amount = text_input(InputId.ITEM_AMOUNT, max_length=30, placeholder="12.50")
        # Starts at the team's currency; emptied, it is that currency too (parse_item).
        code = text_input(
            InputId.ITEM_CURRENCY, initial=currency, max_length=3, placeholder=currency
        )
        return [
            input_block(InputId.ITEM_AMOUNT, _("Amount"), amount, optional=optional),
            input_block(
                InputId.ITEM_CURRENCY,
                _("Currency"),
                code,
                optional=True,
                hint=_("A three-letter code: EUR, USD, GBP…"),
            ),
        ]
    if part is Part.DUE_ON:
        words = _("Ends on") if kind is RelatedKind.SERVICE_CONTRACT else _("Due date")
        element = _datepicker(InputId.ITEM_DUE_ON)
        return [input_block(InputId.ITEM_DUE_ON, words, element, optional=True)]
    minutes = {
        "type": "number_input",
        "action_id": InputId.ITEM_MINUTES,
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(MAX_MINUTES),
    }
    worker = users_select(InputId.ITEM_WORKER, initial=user_id, placeholder=_("Who worked"))
    return [
        input_block(InputId.ITEM_MINUTES, _("Minutes spent"), minutes),
        input_block(InputId.ITEM_WORKED_ON, _("Day"), _datepicker(InputId.ITEM_WORKED_ON, today)),
        input_block(InputId.ITEM_WORKER, _("By"), worker),
    ]


def item_form(
    ticket: Ticket,
    kind: RelatedKind,
    *,
    metadata: str,
    today: date,
    user_id: str,
    currency: str = DEFAULT_CURRENCY,
) -> dict:
    """Title first, then the parts of `kind`. A document's title may come from its file; an
    amount's currency starts at `currency`, the team's default."""
    document = kind is RelatedKind.DOCUMENT
    title = input_block(
        InputId.ITEM_TITLE,
        _title_label(kind),
        text_input(InputId.ITEM_TITLE, max_length=TITLE_MAX),
        optional=document,
        hint=_("Left empty, the file's name is used.") if document else None,
    )
    blocks = [context(f"#{ticket.number} {safe(ticket.title, 200)}"), title]
    for part in PARTS[kind]:
        blocks.extend(_part_blocks(kind, part, today=today, user_id=user_id, currency=currency))
    return modal(
        _("Add {kind}").format(kind=label(kind).lower()),
        blocks,
        callback_id=CallbackId.RELATED_ITEM_MODAL,
        submit=_("Add"),
        close=_("Back"),
        private_metadata=metadata,
    )
