"""What every handler needs: the runtime, the viewer, modal context, and the card in Slack."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ticketbot.card_extras import card_extras
from ticketbot.cards import refresh_card, sla_of
from ticketbot.i18n import _
from ticketbot.ids import ticket_number_from_block
from ticketbot.runtime import Runtime
from ticketbot.services import tickets as ticket_service
from ticketbot.services.access import Viewer
from ticketbot.services.errors import NotFound
from ticketbot.store.models import Ticket
from ticketbot.vocabulary import Source

logger = logging.getLogger("ticketbot.handlers")


class ModalContext(BaseModel):
    """What a modal must remember between opening and submission (in private_metadata)."""

    model_config = ConfigDict(extra="ignore")

    number: int | None = None
    version: int | None = None
    source: Source = Source.SLASH_COMMAND
    channel_id: str | None = None
    message_ts: str | None = None
    response_url: str | None = None
    page: int = 0

    def dump(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def load(cls, view: dict) -> ModalContext:
        """Never raises: a form with unreadable context acts on nothing and says so."""
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            return cls()


def ticket_number(action: dict) -> int:
    """The ticket an action is about: its block id ("ticket:42"), else the button's value."""
    number = ticket_number_from_block(action.get("block_id"))
    if number is None and str(action.get("value", "")).isdigit():
        number = int(action["value"])
    if number is None:
        raise NotFound(_("That ticket was not found."))
    return number


def find_ticket(session, body: dict, number: int, viewer: Viewer, *, for_update=False) -> Ticket:
    """The ticket of the request's workspace, as the viewer may see it (NotFound otherwise)."""
    return ticket_service.get_ticket(
        session=session,
        workspace_id=workspace_of(body),
        number=number,
        viewer=viewer,
        for_update=for_update,
    )


def load_ticket(runtime: Runtime, body: dict, number: int, viewer: Viewer) -> Ticket:
    """`find_ticket` in a transaction of its own, for reading."""
    with runtime.database.transaction(read_only=True) as session:
        return find_ticket(session, body, number, viewer)


def runtime_of(context) -> Runtime:
    return context["runtime"]


def viewer_of(context, client: WebClient, user_id: str) -> Viewer:
    return runtime_of(context).directory.viewer(client, user_id)


def workspace_of(body: dict) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return team["id"]
    user = body.get("user")
    return body.get("team_id") or (user.get("team_id") if isinstance(user, dict) else None) or ""


def user_of(body: dict) -> str:
    user = body.get("user")
    return user["id"] if isinstance(user, dict) else body.get("user_id", "")


def permalink(client: WebClient, channel_id: str | None, ts: str | None) -> str | None:
    if not channel_id or not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel_id, message_ts=ts).get("permalink")
    except SlackApiError as error:
        logger.info("no permalink for %s/%s: %s", channel_id, ts, error.response.get("error"))
        return None


__all__ = ["card_extras", "refresh_card", "sla_of"]  # the handlers' import point for card helpers
