"""Email address syntax, shared by the configuration (SMTP_FROM) and the Email form (To).

Deliberately stricter than RFC 5322: a plain ASCII `local@domain.tld`, optionally behind a
display name. What a mail server would route is accepted; comments, quoted local parts, IP
literals and header-injection tricks (newlines, several addresses in one) are not."""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr

MAX_LENGTH = 254  # RFC 5321's limit on a forward path
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}$")


def is_address(value: str) -> bool:
    """A bare `local@domain.tld`, nothing around it."""
    return len(value) <= MAX_LENGTH and bool(_ADDRESS.match(value))


def mailbox(value: str) -> str | None:
    """The address of `addr` or `Name <addr>`, or None when it is not exactly one address."""
    text = value.strip()
    if not text or any(c in text for c in "\r\n\x00"):
        return None
    if len(getaddresses([text])) != 1:
        return None
    _name, address = parseaddr(text)
    if not is_address(address):
        return None
    # parseaddr forgives a lot ("a@b.com garbage"); the address must be what was written.
    return address if text == address or text.endswith(f"<{address}>") else None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
