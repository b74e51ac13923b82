"""The Related modal: who the ticket relates to, its product, its related items by kind
(with Add, Close and Remove for those allowed) and its linked conversations.

A modal holds 100 blocks: groups share what is left after the fixed parts, small groups
show whole, big ones end with "and N more"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ticketbot.i18n import _, label
from ticketbot.ids import ActionId, BlockId, CallbackId, related_add_action
from ticketbot.services.related import RelatedGroup, RelatedSummary
from ticketbot.store.models import ConversationLink, RelatedItem, Ticket
from ticketbot.views.blocks import (
    MAX_VIEW_BLOCKS,
    actions,
    button,
    context,
    divider,
    modal,
    option,
    section,
)
from ticketbot.views.card import party_text
from ticketbot.views.related_text import group_title, item_line
from ticketbot.views.text import date_token, safe, user
from ticketbot.vocabulary import RelatedKind

MAX_LINKS = 40
LINKS_WITH_ITEMS = 10  # when items are shown too, linked conversations keep to a few
CLOSE, REMOVE = "close", "remove"


def item_menu_value(verb: str, item_id: int) -> str:
    return f"{verb}:{item_id}"


def parse_item_menu_value(value: str) -> tuple[str, int] | None:
    verb, _sep, number = (value or "").partition(":")
    return (verb, int(number)) if verb in (CLOSE, REMOVE) and number.isdigit() else None


def share(sizes: Sequence[int], budget: int) -> list[int]:
    """Split `budget` rows among groups of these sizes: small groups show whole first."""
    shown = [0] * len(sizes)
    left = max(budget, 0)
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    for position, index in enumerate(order):
        shown[index] = min(sizes[index], left // (len(sizes) - position))
        left -= shown[index]
    return shown


def _item_block(item: RelatedItem, *, manage: bool, today: date | None) -> dict:
    accessory = None
    if manage:
        choices = []
        if item.kind == RelatedKind.ACTIVITY and item.closed_at is None:
            choices.append(option(_("Close"), item_menu_value(CLOSE, item.id)))
        choices.append(option(_("Remove"), item_menu_value(REMOVE, item.id)))
        accessory = {"type": "overflow", "action_id": ActionId.RELATED_ITEM, "options": choices}
    return section(item_line(item, today), accessory=accessory)


def _add_buttons(addable: Sequence[RelatedKind]) -> list[dict]:
    if not addable:
        return []
    buttons = [button(f"+ {label(kind)}", related_add_action(kind.value)) for kind in addable]
    return [actions(buttons, block_id=BlockId.RELATED_ADD)]


def _links(links: list[ConversationLink], limit: int) -> list[dict]:
    blocks = [divider(), section("*" + _("Linked conversations") + "*")]
    if not links:
        blocks.append(
            context(
                _(
                    "No conversation linked yet. Use the message shortcut "
                    "*Link to ticket* on any message."
                )
            )
        )
    word, linked_by = _("Message"), _("linked by")
    for link in links[:limit]:
        where = f"<{link.permalink}|{word}>" if link.permalink else link.channel_id
        blocks.append(
            context(f"{where} · {linked_by} {user(link.linked_by)} {date_token(link.linked_at)}")
        )
    if len(links) > limit:
        blocks.append(context(_("And {more} more.").format(more=len(links) - limit)))
    return blocks


def related_modal(
    ticket: Ticket,
    links: list[ConversationLink],
    *,
    groups: Sequence[RelatedGroup] = (),
    summary: RelatedSummary | None = None,
    addable: Sequence[RelatedKind] = (),
    manage: bool = False,
    today: date | None = None,
    metadata: str = "",
) -> dict:
    head = [
        section(f"*#{ticket.number} {safe(ticket.title, 200)}*"),
        section("*" + _("Related to") + "*\n" + party_text(ticket)),
        section("*" + _("Product") + "*\n" + (safe(ticket.product, 75) or "—")),
        *_add_buttons(addable),
    ]
    tail = _links(links, LINKS_WITH_ITEMS if groups else MAX_LINKS)
    # Each group takes a title and maybe an "and N more" line besides its items.
    budget = MAX_VIEW_BLOCKS - len(head) - len(tail) - 1 - 2 * len(groups)
    shown = share([len(group.items) for group in groups], budget)
    body: list[dict] = [divider()] if groups else []
    for group, count in zip(groups, shown, strict=True):
        body.append(section(group_title(group.kind, group.done, group.total, summary)))
        body.extend(_item_block(i, manage=manage, today=today) for i in group.items[:count])
        if group.total > count:
            body.append(context(_("And {more} more.").format(more=group.total - count)))
    return modal(
        _("Related #{number}").format(number=ticket.number),
        [*head, *body, *tail],
        callback_id=CallbackId.RELATED_MODAL,
        close=_("Close"),
        private_metadata=metadata,
    )
