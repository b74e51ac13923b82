"""User text into Slack text: escaped so it cannot ping or fake a mention, cut to fit."""

from __future__ import annotations

ELLIPSIS = "…"

SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
MODAL_TITLE = 24
CONTEXT_TEXT = 3000
MESSAGE_TEXT = 40000
INPUT_VALUE = 3000


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


def plain(text: str, limit: int) -> dict:
    """A plain_text object; Slack does not parse markup in it, so no escaping is needed."""
    return {"type": "plain_text", "text": truncate(text or " ", limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict:
    """An mrkdwn object from text we built (already escaped where it holds user input)."""
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "—"


def date_token(when, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack renders this in each reader's own time zone; the fallback is UTC."""
    epoch = int(when.timestamp())
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{fmt}|{fallback}>"


def duration(delta) -> str:
    """A short human duration: '2 d 3 h', '3 h 20 min', '45 min'."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
