"""The controls on the card and on `/ticket show`: status, assignee, Edit, Comment, History,
Related, Share."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime
from ticketbot.services.access import can_edit
from ticketbot.services.errors import Forbidden
from ticketbot.slack import flows, screens
from ticketbot.slack.forms import ModalContext
from ticketbot.slack.request import chosen_status, is_ephemeral, ticket_number, workspace_of
from ticketbot.store.models import Ticket
from ticketbot.views.forms import close_modal, comment_modal, edit_modal
from ticketbot.vocabulary import Status, Visibility


def _show_again(runtime: Runtime, body: dict, respond: Respond, ticket: Ticket, viewer) -> None:
    """A change made from `/ticket show` redraws that ephemeral answer too."""
    detail = screens.ticket_screen(
        runtime, workspace_id=ticket.workspace_id, number=ticket.number, viewer=viewer
    )
    respond(replace_original=True, response_type="ephemeral", **detail)


def _open_close_form(runtime: Runtime, client: WebClient, body: dict, number: int, viewer):
    """Closing needs a solution first: asked for while the trigger is fresh."""
    ticket = screens.load_ticket(runtime, workspace_of(body), number, viewer)
    if not can_edit(viewer, ticket):
        flows.redraw_card(runtime, ticket.id)  # the select goes back to what the ticket is
        raise Forbidden(_("Only agents can change tickets raised by someone else."))
    meta = ModalContext(number=number, version=ticket.version)
    client.views_open(trigger_id=body["trigger_id"], view=close_modal(ticket, metadata=meta.dump()))


def _open(form, runtime: Runtime, client: WebClient, body: dict, action: dict, viewer) -> None:
    """Open the modal `form(runtime, ticket, viewer)` for the ticket of the action."""
    ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
    client.views_open(trigger_id=body["trigger_id"], view=form(runtime, ticket, viewer))


def _edit_form(runtime: Runtime, ticket: Ticket, viewer) -> dict:
    if not can_edit(viewer, ticket):
        raise Forbidden(_("Only agents can edit tickets raised by someone else."))
    queue = runtime.config.queue(ticket.queue)
    return edit_modal(
        ticket,
        categories=list(queue.categories),
        products=list(queue.products),
        metadata=ModalContext(number=ticket.number, version=ticket.version).dump(),
        queues=screens.queue_choices(runtime) if viewer.works_on(ticket) else (),
    )


def _comment_form(runtime: Runtime, ticket: Ticket, viewer) -> dict:
    return comment_modal(ticket, metadata=ModalContext(number=ticket.number).dump())


def _history_form(runtime: Runtime, ticket: Ticket, viewer) -> dict:
    return screens.history_view(runtime, ticket, 0, viewer)


def _history_page(runtime: Runtime, client: WebClient, body: dict, action: dict, viewer):
    ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
    page = max(0, int(action.get("value") or 0)) if str(action.get("value", "")).isdigit() else 0
    client.views_update(
        view_id=body["view"]["id"],
        hash=body["view"].get("hash"),
        view=screens.history_view(runtime, ticket, page, viewer),
    )


def _share(runtime: Runtime, respond: Respond, body: dict, action: dict, viewer) -> None:
    ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
    if ticket.visibility is Visibility.INTERNAL:
        # The channel may hold people who must not see it.
        raise Forbidden(_("Internal tickets cannot be shared in a channel."))
    respond(
        response_type="in_channel", replace_original=False, **screens.shared_ticket(runtime, ticket)
    )


def _show(runtime: Runtime, client: WebClient, respond: Respond, body: dict, action: dict, viewer):
    detail = screens.ticket_screen(
        runtime, workspace_id=workspace_of(body), number=ticket_number(action), viewer=viewer
    )
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **detail)
    else:  # from App Home there is no response_url: a direct message instead
        client.chat_postMessage(channel=viewer.user_id, **detail)


def register(app: App) -> None:
    @app.action(ActionId.STATUS)
    def on_status(
        ack: Ack, body: dict, action: dict, client, quick, respond, runtime, viewer, later
    ):
        status = chosen_status(action)
        number = ticket_number(action)
        if status is Status.CLOSED:
            later(_open_close_form, runtime, client, body, number, viewer)
            ack()
            return
        ticket, _changed = flows.set_status(
            runtime, quick, workspace_id=workspace_of(body), number=number, viewer=viewer,
            status=status,
        )  # fmt: skip
        ack()
        if is_ephemeral(body) and body.get("response_url"):
            later.soon(_show_again, runtime, body, respond, ticket, viewer)

    @app.action(ActionId.ASSIGN)
    def on_assign(ack: Ack, body: dict, action: dict, quick, respond, runtime, viewer, later):
        ticket = flows.assign_ticket(
            runtime,
            quick,
            workspace_id=workspace_of(body),
            number=ticket_number(action),
            viewer=viewer,
            assignee_id=action.get("selected_user"),
        )
        ack()
        if is_ephemeral(body) and body.get("response_url"):
            later.soon(_show_again, runtime, body, respond, ticket, viewer)

    @app.action(ActionId.EDIT)
    def on_edit(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, _edit_form, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.COMMENT)
    def on_comment(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, _comment_form, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.HISTORY)
    def on_history(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, _history_form, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.HISTORY_PREVIOUS)
    @app.action(ActionId.HISTORY_NEXT)
    def on_history_page(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_history_page, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.RELATED)
    def on_related(ack: Ack, body: dict, action: dict, client, runtime, viewer, later):
        later(_open, screens.related_view, runtime, client, body, action, viewer)
        ack()

    @app.action(ActionId.SHARE)
    def on_share(ack: Ack, body: dict, action: dict, respond: Respond, runtime, viewer, later):
        later(_share, runtime, respond, body, action, viewer)
        ack()

    @app.action(ActionId.SHOW_TICKET)
    def on_show(ack: Ack, body: dict, action: dict, client, respond, runtime, viewer, later):
        later(_show, runtime, client, respond, body, action, viewer)
        ack()

    @app.action(ActionId.OPEN_LINK)
    def on_open_link(ack: Ack):
        ack()  # the browser opens the URL; Slack still wants the action acknowledged
