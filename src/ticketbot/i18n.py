"""Every word the bot says goes through here (gettext-style), so a catalog can translate it.

`_` looks the message up in the translation of the current context; `N_` only marks a string
for extraction where it must be translated later (module-level tables).
"""

from __future__ import annotations

import contextvars
import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from ticketbot.vocabulary import (
    Engagement,
    Field,
    PartyKind,
    Priority,
    RelatedKind,
    Source,
    Status,
    Visibility,
)

_ENGLISH = gettext.NullTranslations()
_current: contextvars.ContextVar[gettext.NullTranslations | None] = contextvars.ContextVar(
    "ticketbot_translations", default=None
)


def _catalog() -> gettext.NullTranslations:
    return _current.get() or _ENGLISH


def _(message: str) -> str:
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


@contextmanager
def translations(catalog: gettext.NullTranslations) -> Iterator[None]:
    token = _current.set(catalog)
    try:
        yield
    finally:
        _current.reset(token)


LANGUAGES = ("en", "fr")
DOMAIN = "ticketbot"
LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of a language, compiled in memory from its .po file once a process.

    The .po file is the only copy in the repository: nothing binary to keep in step."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if language == "en":
        return _ENGLISH
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        messages = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Everything said inside the block is said in `language` ("en" or "fr")."""
    with translations(catalog(language)):
        yield


def answer_in(language: str) -> None:
    """From now on, in this context, say everything in `language`: for a request handled in a
    context of its own (http/web.py), which ends with it."""
    _current.set(catalog(language))


def current_language() -> str:
    current = _current.get()
    if current is None or current is _ENGLISH:
        return "en"
    return next((code for code in LANGUAGES if catalog(code) is current), "en")


def language_of_locale(locale: str | None) -> str:
    """Slack's user locale ("fr-FR", "en-US") to one of ours; English otherwise."""
    code = (locale or "").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


_LABELS: dict[StrEnum, str] = {
    Status.OPEN: N_("Open"),
    Status.WAITING: N_("Waiting on reply"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.CLOSED: N_("Closed"),
    Priority.LOW: N_("Low"),
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
    Engagement.STANDARD: N_("Standard"),
    Engagement.H2: N_("2 hours"),
    Engagement.H4: N_("4 hours"),
    Engagement.H6: N_("6 hours"),
    Engagement.H8: N_("8 hours"),
    Engagement.H24: N_("24 hours"),
    Engagement.H48: N_("48 hours"),
    Engagement.H72: N_("72 hours"),
    Visibility.PUBLIC: N_("Public"),
    Visibility.INTERNAL: N_("Internal"),
    Source.SLASH_COMMAND: N_("Slash command"),
    Source.MESSAGE_SHORTCUT: N_("Message shortcut"),
    Source.GLOBAL_SHORTCUT: N_("Global shortcut"),
    Source.REACTION: N_("Reaction"),
    Source.APP_HOME: N_("App Home"),
    Source.CLI: N_("Command line"),
    Source.REQUEST_CHANNEL: N_("Request channel"),
    Source.WORKFLOW: N_("Workflow"),
    PartyKind.ACCOUNT: N_("Account"),
    PartyKind.CONTACT: N_("Contact"),
    PartyKind.SUPPLIER: N_("Supplier"),
    PartyKind.ASSET: N_("Asset"),
    Field.TITLE: N_("Title"),
    Field.DESCRIPTION: N_("Description"),
    Field.SOLUTION: N_("Solution"),
    Field.STATUS: N_("Status"),
    Field.PRIORITY: N_("Priority"),
    Field.ENGAGEMENT: N_("Engagement"),
    Field.CATEGORY: N_("Category"),
    Field.ASSIGNEE: N_("Assignee"),
    Field.PARTY: N_("Related to"),
    Field.PRODUCT: N_("Product"),
    Field.VISIBILITY: N_("Visibility"),
    Field.LINK: N_("Linked conversation"),
    Field.EMAIL: N_("Email"),
    Field.RELATED: N_("Related item"),
    Field.FAQ: N_("FAQ entry"),
    Field.REPLY: N_("Reply to the requester"),
    Field.QUEUE: N_("Queue"),
    Field.ORIGIN: N_("Original message"),
    Field.COMMENT: N_("Comments"),
    RelatedKind.ACTIVITY: N_("Activity"),
    RelatedKind.DOCUMENT: N_("Document"),
    RelatedKind.SERVICE: N_("Service"),
    RelatedKind.EXPENSE: N_("Expense"),
    RelatedKind.PURCHASE_ORDER: N_("Purchase order"),
    RelatedKind.QUOTE: N_("Quote"),
    RelatedKind.EMAIL: N_("Email"),
    RelatedKind.PROJECT: N_("Project"),
    RelatedKind.TIMESHEET: N_("Timesheet"),
    RelatedKind.SERVICE_CONTRACT: N_("Service contract"),
}


def label(value: StrEnum) -> str:
    """The display text of a stored enum value, in the current language."""
    return _(_LABELS[value])
