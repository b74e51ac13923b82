"""Sending one email over SMTP with the standard library, within a time budget.

`SMTP_URL` picks the transport, one scheme per way of securing it:
  smtp://host[:25]            plain (a relay on the same host or a trusted network)
  smtp+starttls://host[:587]  upgraded with STARTTLS, which the server must offer
  smtps://host[:465]          implicit TLS from the first byte
Certificates are verified (against `SMTP_CA_FILE` instead of the system's CAs when set).

Delivery is all or nothing: every recipient is offered before the message is, and one
refused recipient resets the transaction, so nobody gets a mail the ticket does not record.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from ticketbot.addresses import domain_of

# Slack wants a modal submission answered within 3 s. The Email form spends this much at most
# from its start to the mail server's last reply, leaving time to record the mail and answer.
SEND_BUDGET = 2.5
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class SmtpEndpoint:
    host: str
    port: int
    security: str  # plain, starttls or tls

    @property
    def on_loopback(self) -> bool:
        return self.host in LOOPBACK


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """The endpoint of an SMTP_URL, or ValueError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{url!r}: use smtp://, smtp+starttls:// or smtps:// (see README)")
    if parts.username or parts.password:
        raise ValueError("put the login in SMTP_USERNAME and SMTP_PASSWORD, not in the URL")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no mail server")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: only a scheme, a host and a port are understood")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    security, default_port = SCHEMES[parts.scheme]
    return SmtpEndpoint(parts.hostname, port or default_port, security)


class Failure(StrEnum):
    REFUSED_RECIPIENTS = "refused_recipients"
    REFUSED_SENDER = "refused_sender"
    REFUSED_MESSAGE = "refused_message"
    LOGIN = "login"
    TLS = "tls"
    UNREACHABLE = "unreachable"


class MailFailure(Exception):
    """Nothing was delivered; `detail` is the server's reply or the network error."""

    def __init__(self, kind: Failure, detail: str, *, refused: tuple[str, ...] = ()) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail[:300]
        self.refused = refused


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"


class _Budget:
    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self.deadline = monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - self._monotonic()

    def left(self) -> float:
        remaining = self.remaining()
        if remaining <= 0:
            raise TimeoutError("the mail server did not answer in time")
        return remaining

    def arm(self, connection: smtplib.SMTP) -> None:
        """Bound the next command by what is left of the whole budget."""
        if connection.sock is not None:
            connection.sock.settimeout(self.left())


@dataclass(frozen=True)
class Mailer:
    endpoint: SmtpEndpoint
    sender: str  # the From header, possibly "Name <address>"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    # socket.getfqdn() (smtplib's default) may wait on reverse DNS for seconds.
    local_hostname: str = field(default_factory=socket.gethostname)

    @classmethod
    def from_settings(cls, settings) -> Mailer | None:
        """None when SMTP is not configured: then the card offers no Email button."""
        if not settings.smtp_url or not settings.smtp_from:
            return None
        return cls(
            endpoint=parse_smtp_url(settings.smtp_url),
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
        )

    @property
    def envelope_from(self) -> str:
        return parseaddr(self.sender)[1]

    def compose(
        self, *, to: list[str], subject: str, body: str, ticket_number: int, now: datetime
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = format_datetime(now)
        # An explicit domain: make_msgid's default looks the host name up in DNS.
        message["Message-ID"] = make_msgid(
            idstring=f"ticket{ticket_number}", domain=domain_of(self.envelope_from)
        )
        message["X-Ticketbot-Ticket"] = str(ticket_number)
        # Quoted-printable keeps the message 7-bit clean for relays without 8BITMIME.
        message.set_content(body, cte="quoted-printable")
        return message

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def send(
        self,
        message: EmailMessage,
        *,
        budget: float = SEND_BUDGET,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Deliver to every recipient of the To header, or raise MailFailure."""
        clock = _Budget(budget, monotonic)
        recipients = [address for _name, address in getaddresses(message.get_all("To", []))]
        try:
            connection = self._connect(clock)
            try:
                self._converse(connection, message, recipients, clock)
            finally:
                _hang_up(connection, clock)
        except MailFailure:
            raise
        except smtplib.SMTPAuthenticationError as error:
            raise MailFailure(Failure.LOGIN, _reply(error.smtp_code, error.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as error:
            raise MailFailure(Failure.LOGIN, str(error)) from None
        except ssl.SSLError as error:  # bad certificate, or no TLS where TLS was expected
            raise MailFailure(Failure.TLS, str(error)) from None
        except smtplib.SMTPResponseException as error:
            raise MailFailure(
                Failure.REFUSED_MESSAGE, _reply(error.smtp_code, error.smtp_error)
            ) from None
        except OSError as error:  # refused connection, timeout, DNS, dropped connection
            raise MailFailure(Failure.UNREACHABLE, str(error) or type(error).__name__) from None

    def _connect(self, clock: _Budget) -> smtplib.SMTP:
        host, port = self.endpoint.host, self.endpoint.port
        if self.endpoint.security == "tls":
            return smtplib.SMTP_SSL(
                host,
                port,
                local_hostname=self.local_hostname,
                timeout=clock.left(),
                context=self._tls(),
            )
        return smtplib.SMTP(host, port, local_hostname=self.local_hostname, timeout=clock.left())

    def _converse(
        self,
        connection: smtplib.SMTP,
        message: EmailMessage,
        recipients: list[str],
        clock: _Budget,
    ) -> None:
        clock.arm(connection)
        connection.ehlo_or_helo_if_needed()
        if self.endpoint.security == "starttls":
            if not connection.has_extn("starttls"):
                raise MailFailure(Failure.TLS, "the server does not offer STARTTLS")
            clock.arm(connection)
            connection.starttls(context=self._tls())
            clock.arm(connection)
            connection.ehlo()
        if self.username:
            clock.arm(connection)
            secret = self.password.get_secret_value() if self.password else ""
            connection.login(self.username, secret)
        clock.arm(connection)
        code, reply = connection.mail(self.envelope_from)
        if code != 250:
            raise MailFailure(Failure.REFUSED_SENDER, _reply(code, reply))
        refused: list[tuple[str, str]] = []
        for recipient in recipients:
            clock.arm(connection)
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                refused.append((recipient, _reply(code, reply)))
        if refused:
            clock.arm(connection)
            connection.rset()
            raise MailFailure(
                Failure.REFUSED_RECIPIENTS,
                "; ".join(f"{who}: {why}" for who, why in refused),
                refused=tuple(who for who, _why in refused),
            )
        clock.arm(connection)
        code, reply = connection.data(message.as_bytes(policy=policy.SMTP))
        if code != 250:
            raise MailFailure(Failure.REFUSED_MESSAGE, _reply(code, reply))


def _hang_up(connection: smtplib.SMTP, clock: _Budget) -> None:
    """Say goodbye if time allows. Once DATA was accepted the mail is on its way, so nothing
    here may turn a delivery into a failure."""
    try:
        if connection.sock is not None:
            connection.sock.settimeout(max(clock.remaining(), 0.05))
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
