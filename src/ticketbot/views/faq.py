"""The FAQ in Slack: the Convert to FAQ form, `/ticket faq` answers, and the "Maybe
answered already" section of the create form."""

from __future__ import annotations

import copy

from ticketbot.i18n import _
from ticketbot.ids import ActionId, BlockId, CallbackId, InputId
from ticketbot.services.faq import FaqHit
from ticketbot.services.inputs import TEXT_MAX
from ticketbot.store.models import Ticket
from ticketbot.views.blocks import (
    button,
    context,
    header,
    input_block,
    message,
    modal,
    section,
    text_input,
)
from ticketbot.views.limits import SECTION_TEXT
from ticketbot.views.text import safe
from ticketbot.vocabulary import Visibility

LIST_LIMIT = 10
ANSWER_EXCERPT = 400
SUGGESTION_ANSWER = 150


def faq_modal(ticket: Ticket, *, metadata: str) -> dict:
    """Question and answer prefilled from the ticket; the agent edits before saving."""
    question = ticket.title + (f"\n\n{ticket.description}" if ticket.description else "")
    notes = [_("Everyone who searches the FAQ will find it.")]
    if ticket.visibility is Visibility.INTERNAL:
        notes = [":lock: " + _("From an internal ticket: only agents and its requester see it.")]
    return modal(
        _("Add #{number} to the FAQ").format(number=ticket.number),
        [
            section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
            context(*notes),
            input_block(
                InputId.FAQ_QUESTION,
                _("Question"),
                text_input(
                    InputId.FAQ_QUESTION, initial=question, multiline=True, max_length=TEXT_MAX
                ),
            ),
            input_block(
                InputId.FAQ_ANSWER,
                _("Answer"),
                text_input(
                    InputId.FAQ_ANSWER,
                    initial=ticket.solution,
                    multiline=True,
                    max_length=TEXT_MAX,
                ),
            ),
        ],
        callback_id=CallbackId.FAQ_MODAL,
        submit=_("Add to FAQ"),
        close=_("Cancel"),
        private_metadata=metadata,
    )


def _question(hit: FaqHit, limit: int) -> str:
    first = " ".join(hit.entry.question.split("\n", 1)[0].split())
    return safe(first, limit)


def _source(hit: FaqHit) -> str:
    if hit.ticket_number is None:
        return ""
    number = f"#{hit.ticket_number}"
    where = f"<{hit.card_permalink}|{number}>" if hit.card_permalink else number
    return _("from ticket {ticket}").format(ticket=where)


def _answer(hit: FaqHit, limit: int) -> str:
    return safe(" ".join(hit.entry.answer.split()), limit)


def faq_list(title: str, hits: list[FaqHit], *, empty: str) -> dict:
    """`/ticket faq`: each entry's question, the start of its answer, and its ticket."""
    if not hits:
        return message(empty, [section(empty)])
    blocks = [header(title)]
    for hit in hits[:LIST_LIMIT]:
        text = f"*{_question(hit, 300)}*\n{_answer(hit, ANSWER_EXCERPT)}"
        source = _source(hit)
        accessory = None
        if hit.ticket_number is not None:
            accessory = button(_("Show ticket"), ActionId.SHOW_TICKET, value=str(hit.ticket_number))
        blocks.append(section(text + (f"\n_{source}_" if source else ""), accessory=accessory))
    if len(hits) > LIST_LIMIT:
        blocks.append(context(_("Showing the first {count}.").format(count=LIST_LIMIT)))
    return message(f"{safe(title, 200)}: {len(hits)}", blocks)


def suggestions_block(hits: list[FaqHit]) -> dict:
    """One section, always under the same block id, so pressing Enter replaces it."""
    if not hits:
        text = _("No FAQ entry matches this title yet.")
        return section(f"_{text}_", block_id=BlockId.FAQ_SUGGESTIONS)
    lines = [":bulb: *" + _("Maybe answered already") + "*"]
    for hit in hits:
        source = _source(hit)
        line = f"• *{_question(hit, 150)}*: {_answer(hit, SUGGESTION_ANSWER)}"
        lines.append(line + (f" ({source})" if source else ""))
    return section("\n".join(lines)[:SECTION_TEXT], block_id=BlockId.FAQ_SUGGESTIONS)


def with_state(element: dict, state: dict) -> None:
    """Put what the user has entered back as the element's initial value."""
    kinds = {
        "plain_text_input": ("value", "initial_value"),
        "static_select": ("selected_option", "initial_option"),
        "external_select": ("selected_option", "initial_option"),
        "radio_buttons": ("selected_option", "initial_option"),
        "users_select": ("selected_user", "initial_user"),
    }
    keys = kinds.get(element.get("type", ""))
    if keys is None or keys[0] not in state:
        return
    if state[keys[0]]:
        element[keys[1]] = copy.deepcopy(state[keys[0]])
    else:
        element.pop(keys[1], None)


def with_suggestions(view: dict, hits: list[FaqHit], values: dict[str, dict[str, dict]]) -> dict:
    """The create form as the user has it (Slack's view, and the `values` of its inputs as
    slack/forms.py reads them), with fresh suggestions after the title: what they typed and
    chose stays as it was."""
    blocks = []
    for block in copy.deepcopy(view.get("blocks") or []):
        if block.get("block_id") == BlockId.FAQ_SUGGESTIONS:
            continue
        if block.get("type") == "input":
            element = block.get("element") or {}
            state = (values.get(block.get("block_id")) or {}).get(element.get("action_id"))
            if state:
                with_state(element, state)
        blocks.append(block)
        if block.get("block_id") == InputId.TITLE:
            blocks.append(suggestions_block(hits))
    fresh = {
        key: copy.deepcopy(view[key])
        for key in ("type", "callback_id", "title", "submit", "close", "private_metadata")
        if view.get(key) is not None
    }
    return {**fresh, "blocks": blocks}
