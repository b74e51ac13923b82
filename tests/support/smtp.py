"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests.

`mail_server(...)` starts one on 127.0.0.1 on a free port: plain, STARTTLS-capable (with
`tls=`), or implicit TLS (with `implicit_tls=`), optionally requiring a login. Recipients in
`refuse` get a 550, and `reject_data` makes it refuse every message at the end of DATA.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME, PASSWORD = "ticketbot", "s3cret-pass"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    over_tls: bool
    login: str | None


@dataclass
class Inbox:
    """The server's handler: what arrived, and how the server should behave."""

    refuse: set[str] = field(default_factory=set)
    reject_data: bool = False
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, login)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.reject_data:
            return "554 5.7.1 Message rejected as spam"
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message_from_bytes(envelope.content, policy=policy.default),
                over_tls=server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append((mechanism, auth_data.login.decode()))
        good = auth_data == LoginPassword(USERNAME.encode(), PASSWORD.encode())
        return AuthResult(success=good, handled=False, auth_data=auth_data)


class _LoopbackController(Controller):
    """aiosmtpd's Controller, on the port the OS picked (port=0) instead of a fixed one."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class MailServer:
    inbox: Inbox
    port: int

    def url(self, scheme: str = "smtp") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"


@contextmanager
def mail_server(
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    login: bool = False,
    login_needs_tls: bool = True,
    mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    inbox: Inbox | None = None,
) -> Iterator[MailServer]:
    inbox = inbox or Inbox()
    options: dict = {}
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    if login:
        options.update(
            authenticator=inbox.authenticate,
            auth_required=True,
            auth_require_tls=login_needs_tls,
            auth_exclude_mechanism=[m for m in ("LOGIN", "PLAIN") if m not in mechanisms],
        )
    controller = _LoopbackController(
        inbox, hostname="127.0.0.1", port=0, ssl_context=implicit_tls, **options
    )
    controller.start()
    try:
        yield MailServer(inbox, controller.port)
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI (the
    venv has no `cryptography`); the test is skipped, with the reason, when openssl is absent."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: cannot make a TLS certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung mail server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
