"""Modal submissions: create, edit, close with a solution, comment, link a message."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from ticketbot.handlers.common import (
    ModalContext,
    card_extras,
    find_ticket,
    permalink,
    refresh_card,
    runtime_of,
    user_of,
    viewer_of,
    workspace_of,
)
from ticketbot.handlers.forms import changed, error_for, submitted
from ticketbot.handlers.publishing import publish_new_ticket, reply_in_thread
from ticketbot.handlers.ratings import ask_for_rating
from ticketbot.i18n import _, speaking
from ticketbot.ids import NEW_PARTY_PREFIX, BlockId, CallbackId
from ticketbot.services import comments as comment_service
from ticketbot.services import links as link_service
from ticketbot.services import tickets as ticket_service
from ticketbot.services.errors import InvalidInput, StaleTicket, TicketbotError
from ticketbot.services.history import ChangeLine
from ticketbot.services.inputs import TicketDraft, TicketEdit, clean_text, validate
from ticketbot.services.parties import find_or_create_party, get_party
from ticketbot.services.ratings import should_ask
from ticketbot.views.history import field_name
from ticketbot.views.lists import comment_echo
from ticketbot.vocabulary import PartyKind, Status

FORM_FIELDS = {
    BlockId.TITLE: "title",
    BlockId.DESCRIPTION: "description",
    BlockId.PRIORITY: "priority",
    BlockId.ENGAGEMENT: "engagement",
    BlockId.CATEGORY: "category",
    BlockId.ASSIGNEE: "assignee_id",
    BlockId.PRODUCT: "product",
    BlockId.VISIBILITY: "visibility",
    BlockId.SOLUTION: "solution",
}


def _fields(values: dict[str, str | None]) -> dict[str, str | None]:
    return {FORM_FIELDS[b]: v for b, v in values.items() if b in FORM_FIELDS}


def _party_id(session, runtime, workspace_id: str, choice: str | None) -> int | None:
    """An existing party id, or the party the user asked to add ("new:kind:name")."""
    if not choice:
        return None
    if choice.startswith(NEW_PARTY_PREFIX):
        kind, _sep, name = choice.removeprefix(NEW_PARTY_PREFIX).partition(":")
        try:
            party_kind = PartyKind(kind)
        except ValueError:
            raise InvalidInput(_("Pick who the ticket relates to again."), field="party") from None
        party = find_or_create_party(
            session=session,
            workspace_id=workspace_id,
            kind=party_kind,
            name=name,
            now=runtime.clock.now(),
        )
        return party.id
    if (
        not choice.isdigit()
        or get_party(session=session, workspace_id=workspace_id, party_id=int(choice)) is None
    ):
        raise InvalidInput(_("That related party no longer exists."), field="party")
    return int(choice)


def stale_message(error: StaleTicket) -> str:
    """Plain text (modal errors show no markup): what changed, by field."""
    from ticketbot.views.history import field_value

    def plain_value(line: ChangeLine, value: str | None) -> str:
        text = field_value(line.field, value)
        return text.replace("<@", "@").replace(">", "") if line.field == "assignee" else text

    described = "; ".join(
        f"{field_name(line.field)}: {plain_value(line, line.old_value)} → "
        f"{plain_value(line, line.new_value)}"
        for line in error.changes[:5]
    )
    tail = _("Close this form and open it again to edit the latest version.")
    return f"{error.message} {described}. {tail}"[:1900]


def register(app: App) -> None:
    @app.view(CallbackId.CREATE_MODAL)
    def on_create(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        values = submitted(view)
        data = {k: v for k, v in _fields(values).items() if v not in (None, "")}
        data.pop("solution", None)
        data.update(
            source=meta.source,
            origin_channel_id=meta.channel_id if meta.message_ts else None,
            origin_ts=meta.message_ts,
        )
        try:
            draft = validate(TicketDraft, data)
        except InvalidInput as error:
            ack(**error_for(error.field, error.message))
            return
        ack()
        workspace_id, user_id = workspace_of(body), user_of(body)
        origin = (meta.channel_id, meta.message_ts) if meta.channel_id and meta.message_ts else None
        link = permalink(client, *origin) if origin else None
        with runtime.database.transaction() as session:
            party_id = _party_id(session, runtime, workspace_id, values.get(BlockId.PARTY))
            if party_id is not None:
                draft = draft.model_copy(update={"party_id": party_id})
            ticket = ticket_service.create_ticket(
                session=session,
                workspace_id=workspace_id,
                draft=draft,
                requester_id=user_id,
                now=runtime.clock.now(),
                policy=runtime.policy,
            )
            if origin:
                link_service.link_conversation(
                    session=session,
                    ticket=ticket,
                    viewer=viewer_of(context, client, user_id),
                    channel_id=origin[0],
                    message_ts=origin[1],
                    permalink=link,
                    now=runtime.clock.now(),
                )
        publish_new_ticket(runtime, client, ticket, response_url=meta.response_url, origin=origin)

    @app.view(CallbackId.EDIT_MODAL)
    def on_edit(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        values = changed(view)
        fields = _fields(values)
        try:
            edit = validate(TicketEdit, fields)
            viewer = viewer_of(context, client, user_of(body))
            with runtime.database.transaction() as session:
                ticket = find_ticket(session, body, meta.number or 0, viewer, for_update=True)
                if BlockId.PARTY in values:
                    party_id = _party_id(
                        session, runtime, ticket.workspace_id, values[BlockId.PARTY]
                    )
                    edit = edit.model_copy(update={"party_id": party_id})
                ticket_service.edit_ticket(
                    session=session,
                    ticket=ticket,
                    edit=edit,
                    viewer=viewer,
                    now=runtime.clock.now(),
                    policy=runtime.policy,
                    expected_version=meta.version,
                )
                extras = card_extras(runtime, ticket)
        except StaleTicket as error:
            ack(**error_for(None, stale_message(error)))
            return
        except TicketbotError as error:  # refused, gone or invalid: said in the form
            ack(**error_for(error.field, error.message))
            return
        ack()
        refresh_card(runtime, client, ticket, extras)

    @app.view(CallbackId.CLOSE_MODAL)
    def on_close(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        solution = clean_text(submitted(view).get(BlockId.SOLUTION) or "")
        if not solution:
            ack(**error_for("solution", _("A solution is required to close a ticket.")))
            return
        ack()
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, meta.number or 0, viewer, for_update=True)
            closed = ticket_service.change_status(
                session=session,
                ticket=ticket,
                status=Status.CLOSED,
                solution=solution,
                viewer=viewer,
                now=runtime.clock.now(),
                policy=runtime.policy,
            )
            extras = card_extras(runtime, ticket)
        refresh_card(runtime, client, ticket, extras)
        if closed and should_ask(ticket, viewer):
            ask_for_rating(runtime, client, ticket)

    @app.view(CallbackId.COMMENT_MODAL)
    def on_comment(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        text = submitted(view).get(BlockId.COMMENT_TEXT) or ""
        if not clean_text(text):
            ack(**error_for("comment", _("A comment cannot be empty.")))
            return
        ack()
        user_id = user_of(body)
        viewer = viewer_of(context, client, user_id)
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, meta.number or 0, viewer, for_update=True)
            comment = comment_service.add_comment(
                session=session,
                ticket=ticket,
                viewer=viewer,
                text=text,
                now=runtime.clock.now(),
            )
        if ticket.card_channel_id and ticket.card_ts and comment is not None:
            with speaking(runtime.config.channel_language):  # the card's thread is public
                echo = comment_echo(user_id, comment.text)
            client.chat_postMessage(
                channel=ticket.card_channel_id, thread_ts=ticket.card_ts, **echo
            )

    @app.view(CallbackId.LINK_MODAL)
    def on_link(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        choice = submitted(view).get(BlockId.TICKET_PICKER)
        if not choice or not choice.isdigit():
            ack(**error_for("ticket", _("Pick a ticket.")))
            return
        if not meta.channel_id or not meta.message_ts:
            ack(**error_for("ticket", _("This form is out of date: please open it again.")))
            return
        ack()
        viewer = viewer_of(context, client, user_of(body))
        link = permalink(client, meta.channel_id, meta.message_ts)
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, int(choice), viewer, for_update=True)
            link_service.link_conversation(
                session=session,
                ticket=ticket,
                viewer=viewer,
                channel_id=meta.channel_id,
                message_ts=meta.message_ts,
                permalink=link,
                now=runtime.clock.now(),
            )
        card_link = ticket.card_permalink
        reply_in_thread(
            runtime, client, meta.channel_id, meta.message_ts, ticket, card_link, linked=True
        )
