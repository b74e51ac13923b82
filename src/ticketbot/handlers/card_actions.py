"""The controls on the card and on `/ticket show`: status, assignee, Edit, Comment, History,
Related, Share."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from ticketbot.i18n import _
from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime
from ticketbot.services.access import Viewer, can_edit
from ticketbot.services.errors import Forbidden
from ticketbot.slack import flows, screens
from ticketbot.slack.cards import refresh_card
from ticketbot.slack.forms import ModalContext
from ticketbot.slack.request import is_ephemeral, ticket_number, workspace_of
from ticketbot.store.models import Ticket
from ticketbot.views.forms import close_modal, comment_modal, edit_modal
from ticketbot.vocabulary import Status, Visibility


def _show_again(runtime: Runtime, body: dict, respond: Respond, ticket: Ticket, viewer) -> None:
    """A change made from `/ticket show` redraws that ephemeral answer too."""
    if is_ephemeral(body) and body.get("response_url"):
        detail = screens.ticket_screen(
            runtime, workspace_id=ticket.workspace_id, number=ticket.number, viewer=viewer
        )
        respond(replace_original=True, response_type="ephemeral", **detail)


def register(app: App) -> None:
    @app.action(ActionId.STATUS)
    def on_status(
        ack: Ack,
        body: dict,
        action: dict,
        client: WebClient,
        respond: Respond,
        runtime: Runtime,
        viewer: Viewer,
    ):
        ack()
        status = Status(action["selected_option"]["value"])
        number, workspace_id = ticket_number(action), workspace_of(body)
        if status is Status.CLOSED:
            # Closing needs a solution first: ask for it while the trigger is fresh.
            ticket = screens.load_ticket(runtime, workspace_id, number, viewer)
            if not can_edit(viewer, ticket):
                refresh_card(runtime, client, ticket)  # put the select back as it was
                raise Forbidden(_("Only agents can change tickets raised by someone else."))
            meta = ModalContext(number=number, version=ticket.version)
            client.views_open(
                trigger_id=body["trigger_id"], view=close_modal(ticket, metadata=meta.dump())
            )
            return
        ticket = flows.set_status(
            runtime, client, workspace_id=workspace_id, number=number, viewer=viewer, status=status
        )
        _show_again(runtime, body, respond, ticket, viewer)

    @app.action(ActionId.ASSIGN)
    def on_assign(
        ack: Ack,
        body: dict,
        action: dict,
        client: WebClient,
        respond: Respond,
        runtime: Runtime,
        viewer: Viewer,
    ):
        ack()
        ticket = flows.assign_ticket(
            runtime,
            client,
            workspace_id=workspace_of(body),
            number=ticket_number(action),
            viewer=viewer,
            assignee_id=action.get("selected_user"),
        )
        _show_again(runtime, body, respond, ticket, viewer)

    @app.action(ActionId.EDIT)
    def on_edit(ack: Ack, body: dict, action: dict, client: WebClient, runtime: Runtime, viewer):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        if not can_edit(viewer, ticket):
            raise Forbidden(_("Only agents can edit tickets raised by someone else."))
        form = edit_modal(
            ticket,
            categories=runtime.config.categories,
            products=runtime.config.products,
            metadata=ModalContext(number=ticket.number, version=ticket.version).dump(),
        )
        client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.action(ActionId.COMMENT)
    def on_comment(ack: Ack, body: dict, action: dict, client: WebClient, runtime: Runtime, viewer):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        form = comment_modal(ticket, metadata=ModalContext(number=ticket.number).dump())
        client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.action(ActionId.HISTORY)
    def on_history(ack: Ack, body: dict, action: dict, client: WebClient, runtime: Runtime, viewer):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        client.views_open(
            trigger_id=body["trigger_id"], view=screens.history_view(runtime, ticket, 0, viewer)
        )

    @app.action(ActionId.HISTORY_PREVIOUS)
    @app.action(ActionId.HISTORY_NEXT)
    def on_history_page(
        ack: Ack, body: dict, action: dict, client: WebClient, runtime: Runtime, viewer
    ):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        page = max(0, int(action.get("value") or 0))
        client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"].get("hash"),
            view=screens.history_view(runtime, ticket, page, viewer),
        )

    @app.action(ActionId.RELATED)
    def on_related(ack: Ack, body: dict, action: dict, client: WebClient, runtime: Runtime, viewer):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        client.views_open(
            trigger_id=body["trigger_id"], view=screens.related_view(runtime, ticket, viewer)
        )

    @app.action(ActionId.SHARE)
    def on_share(ack: Ack, body: dict, action: dict, respond: Respond, runtime: Runtime, viewer):
        ack()
        ticket = screens.load_ticket(runtime, workspace_of(body), ticket_number(action), viewer)
        if ticket.visibility is Visibility.INTERNAL:
            # The channel may hold people who must not see it.
            raise Forbidden(_("Internal tickets cannot be shared in a channel."))
        respond(
            response_type="in_channel",
            replace_original=False,
            **screens.shared_ticket(runtime, ticket),
        )

    @app.action(ActionId.SHOW_TICKET)
    def on_show(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, runtime, viewer
    ):
        ack()
        detail = screens.ticket_screen(
            runtime, workspace_id=workspace_of(body), number=ticket_number(action), viewer=viewer
        )
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **detail)
        else:  # from App Home there is no response_url: a direct message instead
            client.chat_postMessage(channel=viewer.user_id, **detail)

    @app.action(ActionId.OPEN_LINK)
    def on_open_link(ack: Ack):
        ack()  # the browser opens the URL; Slack still wants the action acknowledged
