"""The controls on the card and on `/ticket show`: status, assignee, Edit, Comment, History,
Related, Share."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from ticketbot.handlers.commands import show_ticket
from ticketbot.handlers.common import (
    ModalContext,
    card_extras,
    find_ticket,
    load_ticket,
    refresh_card,
    runtime_of,
    sla_of,
    ticket_number,
    user_of,
    viewer_of,
    workspace_of,
)
from ticketbot.handlers.related import related_view
from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.services import history as history_service
from ticketbot.services import related as related_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import can_edit
from ticketbot.services.errors import Forbidden
from ticketbot.store.models import Ticket
from ticketbot.views.card import ticket_detail
from ticketbot.views.forms import close_modal, comment_modal, edit_modal
from ticketbot.views.history import PAGE_SIZE, history_modal
from ticketbot.vocabulary import Status, Visibility


def _is_ephemeral(body: dict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def _refresh_everywhere(
    runtime, client: WebClient, body: dict, respond: Respond, ticket: Ticket, viewer, extras
) -> None:
    refresh_card(runtime, client, ticket, extras)
    if _is_ephemeral(body) and body.get("response_url"):
        respond(
            replace_original=True,
            response_type="ephemeral",
            **show_ticket(
                runtime,
                client,
                workspace_id=ticket.workspace_id,
                user_id=viewer.user_id,
                number=ticket.number,
                viewer=viewer,
            ),
        )


def history_view(runtime, ticket: Ticket, page: int, viewer) -> dict:
    with runtime.database.transaction(read_only=True) as session:
        entries, total = history_service.timeline_page(
            session=session,
            ticket=ticket,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
            hide=related_service.hidden_history(viewer),
        )
    return history_modal(
        ticket,
        entries,
        page=page,
        total=total,
        metadata=ModalContext(number=ticket.number, page=page).dump(),
    )


def register(app: App) -> None:
    @app.action(ActionId.STATUS)
    def on_status(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context):
        ack()
        runtime = runtime_of(context)
        status = Status(action["selected_option"]["value"])
        viewer = viewer_of(context, client, user_of(body))
        number = ticket_number(action)
        if status is Status.CLOSED:
            # Closing needs a solution first: ask for it while the trigger is fresh.
            ticket = load_ticket(runtime, body, number, viewer)
            if not can_edit(viewer, ticket):
                refresh_card(runtime, client, ticket)  # put the select back as it was
                raise Forbidden(_("Only agents can change tickets raised by someone else."))
            client.views_open(
                trigger_id=body["trigger_id"],
                view=close_modal(
                    ticket, metadata=ModalContext(number=number, version=ticket.version).dump()
                ),
            )
            return
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, number, viewer, for_update=True)
            try:
                ticket_service.change_status(
                    session=session,
                    ticket=ticket,
                    status=status,
                    viewer=viewer,
                    now=runtime.clock.now(),
                    policy=runtime.policy,
                )
            except Forbidden:
                refresh_card(runtime, client, ticket)
                raise
            extras = card_extras(runtime, ticket)
        _refresh_everywhere(runtime, client, body, respond, ticket, viewer, extras)

    @app.action(ActionId.ASSIGN)
    def on_assign(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, ticket_number(action), viewer, for_update=True)
            try:
                ticket_service.assign(
                    session=session,
                    ticket=ticket,
                    assignee_id=action.get("selected_user"),
                    viewer=viewer,
                    now=runtime.clock.now(),
                )
            except Forbidden:
                refresh_card(runtime, client, ticket)
                raise
            extras = card_extras(runtime, ticket)
        _refresh_everywhere(runtime, client, body, respond, ticket, viewer, extras)

    @app.action(ActionId.EDIT)
    def on_edit(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        if not can_edit(viewer, ticket):
            raise Forbidden(_("Only agents can edit tickets raised by someone else."))
        client.views_open(
            trigger_id=body["trigger_id"],
            view=edit_modal(
                ticket,
                categories=runtime.config.categories,
                products=runtime.config.products,
                metadata=ModalContext(number=ticket.number, version=ticket.version).dump(),
            ),
        )

    @app.action(ActionId.COMMENT)
    def on_comment(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=comment_modal(ticket, metadata=ModalContext(number=ticket.number).dump()),
        )

    @app.action(ActionId.HISTORY)
    def on_history(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        client.views_open(
            trigger_id=body["trigger_id"], view=history_view(runtime, ticket, 0, viewer)
        )

    @app.action(ActionId.HISTORY_PREVIOUS)
    @app.action(ActionId.HISTORY_NEXT)
    def on_history_page(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        page = max(0, int(action.get("value") or 0))
        client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"].get("hash"),
            view=history_view(runtime, ticket, page, viewer),
        )

    @app.action(ActionId.RELATED)
    def on_related(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        ticket = load_ticket(runtime, body, ticket_number(action), viewer)
        client.views_open(trigger_id=body["trigger_id"], view=related_view(runtime, ticket, viewer))

    @app.action(ActionId.SHARE)
    def on_share(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, ticket_number(action), viewer)
        if ticket.visibility is Visibility.INTERNAL:
            # The channel may hold people who must not see it.
            raise Forbidden(_("Internal tickets cannot be shared in a channel."))
        respond(
            response_type="in_channel",
            replace_original=False,
            **ticket_detail(ticket, sla_of(runtime, ticket), comments=[], links=[], shared=True),
        )

    @app.action(ActionId.SHOW_TICKET)
    def on_show(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, context):
        ack()
        runtime = runtime_of(context)
        user_id = user_of(body)
        viewer = viewer_of(context, client, user_id)
        detail = show_ticket(
            runtime,
            client,
            workspace_id=workspace_of(body),
            user_id=user_id,
            number=ticket_number(action),
            viewer=viewer,
        )
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **detail)
        else:  # from App Home there is no response_url: a direct message instead
            client.chat_postMessage(channel=user_id, **detail)

    @app.action(ActionId.OPEN_LINK)
    def on_open_link(ack: Ack):
        ack()  # the browser opens the URL; Slack still wants the action acknowledged
