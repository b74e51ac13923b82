"""The FAQ: Convert to FAQ on a solved ticket, `/ticket faq`, and suggestions in the create
form as its title is typed."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from ticketbot.handlers.common import (
    ModalContext,
    find_ticket,
    refresh_card,
    runtime_of,
    ticket_number,
    user_of,
    viewer_of,
    workspace_of,
)
from ticketbot.i18n import _
from ticketbot.ids import ActionId, BlockId, CallbackId
from ticketbot.services import faq
from ticketbot.services.access import Viewer
from ticketbot.services.errors import TicketbotError
from ticketbot.services.faq import FaqHit
from ticketbot.services.inputs import clean_text
from ticketbot.views.faq import faq_list, faq_modal, with_suggestions
from ticketbot.views.text import safe

logger = logging.getLogger("ticketbot.faq")
FAQ_BLOCKS = {"question": BlockId.FAQ_QUESTION, "answer": BlockId.FAQ_ANSWER}
SUGGESTIONS = 3


def faq_answer(runtime, *, workspace_id: str, viewer: Viewer, words: str) -> dict:
    """`/ticket faq [words]`: matching entries, or the latest ones."""
    with runtime.database.transaction() as session:
        if words:
            hits = faq.search_faq(
                session=session, workspace_id=workspace_id, viewer=viewer, query=words, limit=11
            )
        else:
            hits = faq.latest_faq(session=session, workspace_id=workspace_id, viewer=viewer)
    if words:
        shown = words[:100]
        return faq_list(
            _("FAQ entries matching “{query}”").format(query=shown),
            hits,
            empty=_("No FAQ entry matches “{query}”. Try fewer or shorter words.").format(
                query=safe(words, 100)
            ),
        )
    return faq_list(
        _("Latest FAQ entries"),
        hits,
        empty=_("The FAQ is empty. Agents add closed tickets to it with *Convert to FAQ*."),
    )


def suggestions(runtime, workspace_id: str, viewer: Viewer, title: str) -> list[FaqHit] | None:
    """None when the database cannot say: suggestions are a help, never in the way."""
    try:
        with runtime.database.transaction() as session:
            return faq.suggest_faq(
                session=session,
                workspace_id=workspace_id,
                viewer=viewer,
                title=title,
                limit=SUGGESTIONS,
            )
    except SQLAlchemyError as error:
        logger.warning("no FAQ suggestions: %s", error.__class__.__name__)
        return None


def suggestions_at_open(runtime, workspace_id: str, user_id: str, title: str) -> list | None:
    """Matches for a title the form opens with, or None for no section at all.

    The trigger_id lives three seconds, so this asks Slack nothing (a user-group lookup could):
    it suggests what any requester may read, plus entries from the user's own tickets."""
    if not title.strip():
        return None
    return suggestions(runtime, workspace_id, Viewer(user_id), title) or None


def register(app: App) -> None:
    @app.action(ActionId.FAQ_CONVERT)
    def on_convert(ack: Ack, body: dict, action: dict, client: WebClient, context):
        ack()
        runtime = runtime_of(context)
        viewer = viewer_of(context, client, user_of(body))
        with runtime.database.transaction() as session:
            ticket = find_ticket(session, body, ticket_number(action), viewer)
            faq.check_convertible(session=session, ticket=ticket, viewer=viewer)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=faq_modal(ticket, metadata=ModalContext(number=ticket.number).dump()),
        )

    @app.view(CallbackId.FAQ_MODAL)
    def on_convert_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context):
        runtime = runtime_of(context)
        meta = ModalContext.load(view)
        values = (view.get("state") or {}).get("values") or {}

        def typed(block_id: str) -> str:
            return next(iter((values.get(block_id) or {}).values()), {}).get("value") or ""

        question, answer = typed(BlockId.FAQ_QUESTION), typed(BlockId.FAQ_ANSWER)
        for field, text, word in (
            ("question", question, _("Question")),
            ("answer", answer, _("Answer")),
        ):
            if not clean_text(text):
                message = _("{field} is required.").format(field=word)
                ack(response_action="errors", errors={FAQ_BLOCKS[field]: message})
                return
        try:
            viewer = viewer_of(context, client, user_of(body))
            with runtime.database.transaction() as session:
                ticket = find_ticket(session, body, meta.number or 0, viewer, for_update=True)
                faq.convert_ticket(
                    session=session,
                    ticket=ticket,
                    viewer=viewer,
                    question=question,
                    answer=answer,
                    now=runtime.clock.now(),
                )
        except TicketbotError as error:  # refused, already there, too long: said in the form
            block = FAQ_BLOCKS.get(error.field or "", BlockId.FAQ_QUESTION)
            ack(response_action="errors", errors={block: error.message})
            return
        ack()
        refresh_card(runtime, client, ticket)

    @app.action(ActionId.TITLE)
    def on_title_entered(ack: Ack, body: dict, action: dict, client: WebClient, context):
        """Enter in the create form's Title: suggestions for it, the user's input kept."""
        ack()
        runtime = runtime_of(context)
        view = body.get("view") or {}
        if view.get("callback_id") != CallbackId.CREATE_MODAL:
            return
        viewer = viewer_of(context, client, user_of(body))
        hits = suggestions(runtime, workspace_of(body), viewer, action.get("value") or "")
        if hits is None:
            return
        try:
            client.views_update(
                view_id=view["id"], hash=view.get("hash"), view=with_suggestions(view, hits)
            )
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            # The form changed meanwhile (an earlier Enter landed): that one shows suggestions.
            logger.info("suggestions skipped for a form that changed meanwhile")
