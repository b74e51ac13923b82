"""User text into Slack text: escaped so it cannot ping or fake a mention, cut to fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC

from babel.dates import format_date, format_time

from ticketbot.i18n import _, current_language
from ticketbot.views.limits import SECTION_TEXT

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Slack's three control characters: `<!channel>` typed by a user stays literal text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def safe(text: str | None, limit: int = SECTION_TEXT) -> str:
    """Escape, then cut, never leaving half an escape sequence at the end."""
    escaped = escape(text or "")
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def with_files(text: str | None, files: Sequence[Mapping] | None, limit: int) -> str:
    """A comment: its text escaped, then each file shared with it as a link named by its
    escaped title. The links are kept whole; the text is cut to leave them room."""
    links = [
        f"<{shared['permalink']}|{safe(shared['name'], 150)}>"
        if shared.get("permalink")
        else safe(shared["name"], 150)
        for shared in files or ()
    ]
    if not links:
        return safe(text, limit)
    tail = ":paperclip:"
    for link in links:
        if len(tail) + len(link) + len(ELLIPSIS) + 2 > limit:
            tail += " " + ELLIPSIS
            break
        tail += " " + link
    room = limit - len(tail) - 1
    body = safe(text, room) if text and room > len(ELLIPSIS) else ""
    return f"{body}\n{tail}" if body else tail


def plain(text: str, limit: int) -> dict:
    """A plain_text object; Slack does not parse markup in it, so no escaping is needed."""
    return {"type": "plain_text", "text": truncate(text or " ", limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict:
    """An mrkdwn object from text we built (already escaped where it holds user input)."""
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "—"


def date_token(when, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack renders this in each reader's own time zone; the fallback (for clients that
    cannot) is UTC, written the way the current language writes dates."""
    epoch = int(when.timestamp())
    language = current_language()
    at = when.astimezone(UTC)
    fallback = (
        f"{format_date(at, 'medium', locale=language)} "
        f"{format_time(at, 'short', tzinfo=UTC, locale=language)} UTC"
    )
    return f"<!date^{epoch}^{fmt}|{fallback}>"


def duration(delta) -> str:
    """A short human duration: '2 d 3 h', '3 h 20 min', '45 min' (in the current language)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        if hours:
            return _("{days} d {hours} h").format(days=days, hours=hours)
        return _("{days} d").format(days=days)
    if hours:
        if mins:
            return _("{hours} h {minutes} min").format(hours=hours, minutes=mins)
        return _("{hours} h").format(hours=hours)
    return _("{minutes} min").format(minutes=mins)
