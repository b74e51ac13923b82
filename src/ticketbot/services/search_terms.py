"""How titles become searchable words: the same normalisation for indexing and for queries."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, and_, bindparam

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


def starts_with_bound(column, name: str) -> ColumnElement[bool]:
    """`starts_with` over bound parameters, for a statement built once and run with many
    prefixes: pass `prefix_bounds(name, prefix)` with it."""
    return and_(column >= bindparam(name), column < bindparam(f"{name}_below"))


def prefix_bounds(name: str, prefix: str) -> dict[str, str]:
    return {name: prefix, f"{name}_below": prefix_upper_bound(prefix)}


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
