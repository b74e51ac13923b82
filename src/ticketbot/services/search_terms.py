"""How titles become searchable words: the same normalisation for indexing and for queries."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, and_

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERM = 64


def normalise(text: str) -> str:
    """Casefolded and stripped of accents, so 'Écran' finds 'ecran'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(text: str) -> set[str]:
    return {word[:MAX_TERM] for word in _WORD.findall(normalise(text))}


def starts_with(column, prefix: str) -> ColumnElement[bool]:
    """`column` begins with `prefix`, written as a range so the column's index serves it."""
    return and_(column >= prefix, column < prefix_upper_bound(prefix))


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
