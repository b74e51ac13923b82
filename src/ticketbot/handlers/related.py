"""The Related modal's controls: Add (a form pushed over it), and each item's Close and
Remove. After each change the modal is redrawn in place and the card refreshed."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.i18n import _, label
from ticketbot.ids import RELATED_ADD_ACTION, ActionId, CallbackId, InputId
from ticketbot.runtime import Runtime
from ticketbot.services.access import can_add_related
from ticketbot.services.errors import Forbidden, InvalidInput, TicketbotError
from ticketbot.slack import items, screens
from ticketbot.slack.forms import ItemFormContext, ModalContext, errors_on, submitted
from ticketbot.slack.request import workspace_of
from ticketbot.views.related import parse_item_menu_value
from ticketbot.views.related_form import FIELD_BLOCKS, item_form
from ticketbot.vocabulary import RelatedKind


def _errors(field: str | None, message: str) -> dict:
    return errors_on(FIELD_BLOCKS.get(field or "", InputId.ITEM_TITLE), message)


def register(app: App) -> None:
    @app.action(RELATED_ADD_ACTION)
    def on_add(ack: Ack, body: dict, action: dict, client: WebClient, runtime, viewer, later):
        later(_push_item_form, runtime, client, body, action, viewer)
        ack()

    @app.view(CallbackId.RELATED_ITEM_MODAL)
    def on_add_submitted(ack: Ack, body: dict, view: dict, client, runtime: Runtime, viewer, later):
        meta = ItemFormContext.load(view)
        if meta is None:
            ack(**_errors(None, _("This form is out of date: please open it again.")))
            return
        values = submitted(view)
        raw = {field: values.get(block_id) for field, block_id in FIELD_BLOCKS.items()}
        try:
            ticket = items.add_related_item(
                runtime, workspace_id=workspace_of(body), viewer=viewer, meta=meta, raw=raw
            )
        except TicketbotError as error:  # bad input, refused or gone: said in the form
            ack(**_errors(error.field, error.message))
            return
        ack()
        later.soon(items.show_related_change, runtime, client, ticket, viewer, meta.parent_view_id)

    @app.action(ActionId.RELATED_ITEM)
    def on_item_menu(ack: Ack, body: dict, action: dict, client, runtime: Runtime, viewer, later):
        chosen = parse_item_menu_value((action.get("selected_option") or {}).get("value", ""))
        if chosen is None:
            raise InvalidInput(_("That choice is not available any more."))
        verb, item_id = chosen
        ticket = items.change_related_item(
            runtime,
            workspace_id=workspace_of(body),
            number=ModalContext.load(body.get("view") or {}).number or 0,
            viewer=viewer,
            verb=verb,
            item_id=item_id,
        )
        ack()
        later.soon(items.show_related_change, runtime, client, ticket, viewer, body["view"]["id"])


def _push_item_form(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer):
    """Add on the Related modal: the form for that kind, pushed over it."""
    number = ModalContext.load(body.get("view") or {}).number or 0
    match = RELATED_ADD_ACTION.match(action.get("action_id", ""))
    try:
        kind = RelatedKind(match.group(1) if match else "")
    except ValueError:
        raise InvalidInput(_("That kind of item does not exist.")) from None
    ticket = screens.load_ticket(runtime, workspace_of(body), number, viewer)
    if kind not in runtime.config.related_kinds:
        raise InvalidInput(_("{kind} items are switched off here.").format(kind=label(kind)))
    if not can_add_related(viewer, ticket, kind):
        raise Forbidden(_("You cannot add that to ticket #{n}.").format(n=ticket.number))
    meta = ItemFormContext(number=number, kind=kind, parent_view_id=body["view"]["id"])
    form = item_form(
        ticket,
        kind,
        metadata=meta.dump(),
        today=screens.today(runtime),
        user_id=viewer.user_id,
        currency=runtime.config.currency,
    )
    client.views_push(trigger_id=body["trigger_id"], view=form)
