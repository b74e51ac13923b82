"""The Related modal's controls: Add (a form pushed over it), and each item's Close and
Remove. After each change the modal is redrawn in place and the card refreshed."""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.handlers.common import (
    ModalContext,
    find_ticket,
    load_ticket,
    refresh_card,
    runtime_of,
    user_of,
    viewer_of,
)
from ticketbot.i18n import _, label
from ticketbot.ids import RELATED_ADD_ACTION, ActionId, BlockId, CallbackId
from ticketbot.services import links as link_service
from ticketbot.services import related
from ticketbot.services.access import (
    Viewer,
    can_add_related,
    can_manage_related,
    related_kinds_for,
)
from ticketbot.services.errors import Forbidden, InvalidInput, NotFound, TicketbotError
from ticketbot.services.related_input import parse_item
from ticketbot.store.models import Ticket
from ticketbot.views.related import CLOSE, parse_item_menu_value, related_modal
from ticketbot.views.related_form import FIELD_BLOCKS, item_form
from ticketbot.vocabulary import RelatedKind

logger = logging.getLogger("ticketbot.related")


class ItemFormContext(BaseModel):
    """The add form remembers its ticket, its kind and the Related modal under it."""

    model_config = ConfigDict(extra="ignore")

    number: int
    kind: RelatedKind
    parent_view_id: str | None = None


def today(runtime) -> date:
    """The team's date (business-hours zone when configured): what 'overdue' is measured by."""
    hours = runtime.config.sla.business_hours
    zone = ZoneInfo(hours.timezone) if hours else None
    now = runtime.clock.now()
    return (now.astimezone(zone) if zone else now).date()


def related_view(runtime, ticket: Ticket, viewer: Viewer) -> dict:
    enabled = runtime.config.related_kinds
    kinds = related_kinds_for(viewer, enabled)
    with runtime.database.transaction() as session:
        linked = link_service.links_of(session=session, ticket=ticket, limit=50)
        groups = related.groups(session=session, ticket=ticket, kinds=kinds)
        summary = related.summary(session=session, ticket=ticket, kinds=kinds)
    return related_modal(
        ticket,
        linked,
        groups=groups,
        summary=summary,
        addable=[k for k in enabled if can_add_related(viewer, ticket, k)],
        manage=can_manage_related(viewer),
        today=today(runtime),
        metadata=ModalContext(number=ticket.number).dump(),
    )


def _form_values(view: dict) -> dict:
    """{field: value} of the add form, each element read the way Slack reports it."""
    values = (view.get("state") or {}).get("values") or {}
    raw: dict = {}
    for field, block_id in FIELD_BLOCKS.items():
        state = next(iter((values.get(block_id) or {}).values()), None) or {}
        kind = state.get("type")
        if kind == "file_input":
            raw[field] = state.get("files") or []
        elif kind == "datepicker":
            raw[field] = state.get("selected_date")
        elif kind == "users_select":
            raw[field] = state.get("selected_user")
        else:
            raw[field] = state.get("value")
    return raw


def _redraw(client: WebClient, view_id: str, view: dict) -> None:
    """Show the change in the Related modal; a modal closed meanwhile is no error."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        logger.info("Related modal not redrawn: %s", error.response.get("error"))


def _errors(field: str | None, message: str) -> dict:
    block = FIELD_BLOCKS.get(field or "", BlockId.ITEM_TITLE)
    return {"response_action": "errors", "errors": {block: message}}


def register(app: App) -> None:
    @app.action(RELATED_ADD_ACTION)
    def on_add(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        number = ModalContext.load(body.get("view") or {}).number or 0
        match = RELATED_ADD_ACTION.match(action.get("action_id", ""))
        try:
            kind = RelatedKind(match.group(1) if match else "")
        except ValueError:
            raise InvalidInput(_("That kind of item does not exist.")) from None
        ticket = load_ticket(runtime, body, number, viewer)
        if kind not in runtime.config.related_kinds:
            raise InvalidInput(_("{kind} items are switched off here.").format(kind=label(kind)))
        if not can_add_related(viewer, ticket, kind):
            raise Forbidden(_("You cannot add that to ticket #{n}.").format(n=ticket.number))
        meta = ItemFormContext(number=number, kind=kind, parent_view_id=body["view"]["id"])
        client.views_push(
            trigger_id=body["trigger_id"],
            view=item_form(
                ticket,
                kind,
                metadata=meta.model_dump_json(),
                today=today(runtime),
                user_id=viewer.user_id,
                currency=runtime.config.currency,
            ),
        )

    @app.view(CallbackId.RELATED_ITEM_MODAL)
    def on_add_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        try:
            meta = ItemFormContext.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            ack(**_errors(None, _("This form is out of date: please open it again.")))
            return
        try:
            item = parse_item(meta.kind, _form_values(view), currency=runtime.config.currency)
            viewer = viewer_of(context, client, user_of(body))
            with runtime.database.transaction() as session:
                ticket = find_ticket(session, body, meta.number, viewer, for_update=True)
                related.add_item(
                    session=session,
                    ticket=ticket,
                    viewer=viewer,
                    item=item,
                    enabled=runtime.config.related_kinds,
                    now=runtime.clock.now(),
                )
        except TicketbotError as error:  # bad input, refused or gone: said in the form
            ack(**_errors(error.field, error.message))
            return
        ack()
        if meta.parent_view_id:
            _redraw(client, meta.parent_view_id, related_view(runtime, ticket, viewer))
        refresh_card(runtime, client, ticket)

    @app.action(ActionId.RELATED_ITEM)
    def on_item_menu(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        chosen = parse_item_menu_value((action.get("selected_option") or {}).get("value", ""))
        if chosen is None:
            raise InvalidInput(_("That choice is not available any more."))
        verb, item_id = chosen
        number = ModalContext.load(body.get("view") or {}).number or 0
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, number, viewer, for_update=True)
            change = related.close_item if verb == CLOSE else related.remove_item
            # Someone removed it meanwhile: redrawing the modal shows that.
            with contextlib.suppress(NotFound):
                change(
                    session=session,
                    ticket=ticket,
                    viewer=viewer,
                    item_id=item_id,
                    enabled=runtime.config.related_kinds,
                    now=runtime.clock.now(),
                )
        _redraw(client, body["view"]["id"], related_view(runtime, ticket, viewer))
        refresh_card(runtime, client, ticket)
