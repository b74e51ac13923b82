"""What a related item may hold, per kind, checked once whatever surface it came from.

The form of each kind asks only for its parts; values for parts a kind does not have are
ignored, so a forged payload cannot slip an amount into an email."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from ticketbot.config import DEFAULT_CURRENCY
from ticketbot.i18n import _
from ticketbot.services.errors import InvalidInput
from ticketbot.services.inputs import TEXT_MAX, TITLE_MAX, clean_line, clean_text
from ticketbot.vocabulary import RelatedKind

URL_MAX = 500
REFERENCE_MAX = 200
MAX_MINUTES = 24 * 60  # one timesheet line is one person's day at most
MAX_CENTS = 10**13  # a hundred billion: anything larger is a typo
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_FILE_ID = re.compile(r"^F[A-Z0-9]{2,31}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# Characters that would end or split a Slack link (<url|text>) or hide part of the address.
_BAD_URL_CHARS = re.compile(r"[\s<>|\"\x00-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_PLAIN_AMOUNT = re.compile(r"^(\d+)(?:[.,](\d{1,2}))?$")
_GROUPED_AMOUNT = re.compile(r"^(\d{1,3}(?:([.,])\d{3})+)(?:([.,])(\d{1,2}))?$")


class Part(StrEnum):
    """A group of inputs a kind's form shows."""

    REFERENCE = "reference"
    URL = "url"
    FILE = "file"
    DETAILS = "details"
    AMOUNT = "amount"  # amount and currency
    DUE_ON = "due_on"
    TIMESHEET = "timesheet"  # minutes, the day and who worked


PARTS: dict[RelatedKind, tuple[Part, ...]] = {
    RelatedKind.ACTIVITY: (Part.DUE_ON, Part.DETAILS),
    RelatedKind.DOCUMENT: (Part.FILE, Part.URL),
    RelatedKind.SERVICE: (Part.REFERENCE, Part.URL),
    RelatedKind.EXPENSE: (Part.AMOUNT, Part.REFERENCE),
    RelatedKind.PURCHASE_ORDER: (Part.REFERENCE, Part.AMOUNT, Part.URL),
    RelatedKind.QUOTE: (Part.REFERENCE, Part.AMOUNT, Part.URL),
    RelatedKind.EMAIL: (Part.REFERENCE, Part.DETAILS),
    RelatedKind.PROJECT: (Part.REFERENCE, Part.URL),
    RelatedKind.TIMESHEET: (Part.TIMESHEET,),
    RelatedKind.SERVICE_CONTRACT: (Part.REFERENCE, Part.DUE_ON, Part.URL),
}


@dataclass(frozen=True)
class RelatedInput:
    kind: RelatedKind
    title: str
    reference: str | None = None
    url: str | None = None
    details: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    due_on: date | None = None
    minutes: int | None = None
    worked_on: date | None = None
    worker_id: str | None = None
    slack_file_id: str | None = None


def parse_amount(text: str) -> int:
    """'12.50', '12,5', '1 234,56', '1,234.56' -> cents. ValueError when not an amount."""
    compact = _SPACES.sub("", text)
    if compact.startswith("-"):
        raise ValueError("negative")
    plain = _PLAIN_AMOUNT.match(compact)
    if plain:
        units, decimals = plain.group(1), plain.group(2) or ""
    else:
        grouped = _GROUPED_AMOUNT.match(compact)
        # The thousands separator and the decimal one must differ: "1.234.56" is no amount.
        if not grouped or grouped.group(2) == grouped.group(3):
            raise ValueError("not an amount")
        units, decimals = grouped.group(1).replace(grouped.group(2), ""), grouped.group(4) or ""
    try:
        cents = int(Decimal(f"{units}.{decimals or '0'}") * 100)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if cents >= MAX_CENTS:
        raise ValueError("too large")
    return cents


def check_url(text: str) -> str:
    """An http(s) address that is safe inside a Slack link, or InvalidInput."""
    url = text.strip()
    parts = urlsplit(url) if not _BAD_URL_CHARS.search(url) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("Give a web address starting with https://."), field="url")
    if len(url) > URL_MAX:
        raise InvalidInput(
            _("A web address must be at most {limit} characters.").format(limit=URL_MAX),
            field="url",
        )
    return url


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) else ""


def _line(raw: dict[str, Any], key: str, limit: int, word: str) -> str | None:
    value = clean_line(_text(raw, key))
    if len(value) > limit:
        raise InvalidInput(
            _("{field} must be at most {limit} characters.").format(field=word, limit=limit),
            field=key,
        )
    return value or None


def _date(raw: dict[str, Any], key: str, word: str) -> date | None:
    value = _text(raw, key).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("{field} is not a date.").format(field=word), field=key) from None


def _file(raw: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(file id, its permalink, its name) from Slack's file_input value."""
    files = raw.get("file")
    chosen = files[0] if isinstance(files, list) and files else files
    if not isinstance(chosen, dict) or not _FILE_ID.match(str(chosen.get("id", ""))):
        return None, None, ""
    link = chosen.get("permalink")
    try:
        link = check_url(link) if isinstance(link, str) else None
    except InvalidInput:
        link = None
    name = clean_line(str(chosen.get("title") or chosen.get("name") or ""))
    return chosen["id"], link, name[:TITLE_MAX]


def _amount(raw: dict[str, Any], required: bool, default: str) -> tuple[int | None, str | None]:
    text = _text(raw, "amount").strip()
    if not text:
        if required:
            raise InvalidInput(_("Amount is required."), field="amount")
        return None, None
    try:
        cents = parse_amount(text)
    except ValueError as error:
        message = (
            _("Amount cannot be negative.")
            if str(error) == "negative"
            else _("Amount must be a number, like 12.50.")
        )
        raise InvalidInput(message, field="amount") from None
    currency = _text(raw, "currency").strip() or default  # a typed currency wins
    if not _CURRENCY.match(currency):
        raise InvalidInput(_("Currency must be a three-letter code, like EUR."), field="currency")
    return cents, currency.upper()


def _minutes(raw: dict[str, Any]) -> int:
    text = _text(raw, "minutes").strip()
    if not text:
        raise InvalidInput(_("Minutes are required."), field="minutes")
    if not re.fullmatch(r"-?\d{1,9}", text) or not 1 <= int(text) <= MAX_MINUTES:
        raise InvalidInput(
            _("Minutes must be a whole number from 1 to {limit}.").format(limit=MAX_MINUTES),
            field="minutes",
        )
    return int(text)


def parse_item(
    kind: RelatedKind, raw: dict[str, Any], *, currency: str = DEFAULT_CURRENCY
) -> RelatedInput:
    """Check what the form of `kind` sent; InvalidInput names the field at fault. An amount
    given without a currency is in `currency`, the team's default."""
    parts = PARTS[kind]
    values: dict[str, Any] = {}
    title = _line(raw, "title", TITLE_MAX, _("Title"))
    if Part.FILE in parts:
        file_id, link, name = _file(raw)
        values["slack_file_id"] = file_id
        values["url"] = link
        title = title or name or None
    if not title:
        raise InvalidInput(_("Title is required."), field="title")
    if Part.URL in parts and _text(raw, "url").strip():
        values["url"] = check_url(_text(raw, "url"))
    if kind is RelatedKind.DOCUMENT and not (values.get("slack_file_id") or values.get("url")):
        raise InvalidInput(_("Attach a file or give a link."), field="url")
    if Part.REFERENCE in parts:
        values["reference"] = _line(raw, "reference", REFERENCE_MAX, _("Reference"))
    if Part.DETAILS in parts:
        details = clean_text(_text(raw, "details"))
        if len(details) > TEXT_MAX:
            raise InvalidInput(
                _("Notes must be at most {limit} characters.").format(limit=TEXT_MAX),
                field="details",
            )
        values["details"] = details or None
    if Part.AMOUNT in parts:
        required = kind is RelatedKind.EXPENSE
        values["amount_cents"], values["currency"] = _amount(raw, required, currency)
    if Part.DUE_ON in parts:
        values["due_on"] = _date(raw, "due_on", _("Due date"))
    if Part.TIMESHEET in parts:
        values["minutes"] = _minutes(raw)
        values["worked_on"] = _date(raw, "worked_on", _("Day"))
        if values["worked_on"] is None:
            raise InvalidInput(_("Say which day the work was done."), field="worked_on")
        worker = _text(raw, "worker_id")
        if not _USER_ID.match(worker):
            raise InvalidInput(_("Say who did the work."), field="worker_id")
        values["worker_id"] = worker
    return RelatedInput(kind=kind, title=title, **values)
