"""How titles become searchable words: the same normalisation for indexing and for queries."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERM = 64


def normalise(text: str) -> str:
    """Casefolded and stripped of accents, so 'Écran' finds 'ecran'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(text: str) -> set[str]:
    return {word[:MAX_TERM] for word in _WORD.findall(normalise(text))}


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
