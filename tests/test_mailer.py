"""The SMTP transport against a real SMTP server on loopback (aiosmtpd): what arrives, TLS
both ways, logins, and every way a server can say no."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from tests.support.smtp import (
    PASSWORD,
    USERNAME,
    closed_port,
    mail_server,
    make_certificate,
    silent_server,
)
from ticketbot.config import ConfigError, load_settings
from ticketbot.mailer import Failure, Mailer, MailFailure, SmtpEndpoint, parse_smtp_url

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# aiosmtpd warns about what these tests do on purpose: a login over plain loopback.
PLAIN_LOGIN = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SENDER = "Acme Support <help@acme-support.com>"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def mailer(url: str, **options) -> Mailer:
    return Mailer(parse_smtp_url(url), SENDER, **options)


def mail(sender: Mailer, to=("ada@example.com",), subject="[#7] Printer jammed", body="Hello"):
    return sender.compose(to=list(to), subject=subject, body=body, ticket_number=7, now=NOW)


def test_a_plain_message_arrives_with_the_ticket_headers_and_the_body():
    with mail_server() as server:
        sender = mailer(server.url())
        sender.send(
            mail(
                sender,
                to=("ada@example.com", "bob@example.org"),
                subject="[#7] Imprimante bloquée",
                body="Bonjour Ada,\n.\nThe roller is replaced ✓",
            )
        )
        [received] = server.inbox.received
    assert received.mail_from == "help@acme-support.com"
    assert received.rcpt_tos == ["ada@example.com", "bob@example.org"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "ada@example.com, bob@example.org"
    assert message["Subject"] == "[#7] Imprimante bloquée"
    assert message["X-Ticketbot-Ticket"] == "7"
    assert message["Date"] == "Mon, 23 Nov 2026 09:00:00 +0000"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(
        ".ticket7@acme-support.com>"
    )
    # A line holding only a dot would end DATA early if it were not escaped on the wire.
    assert message.get_content().splitlines() == ["Bonjour Ada,", ".", "The roller is replaced ✓"]
    assert received.over_tls is False and received.login is None


def test_every_message_gets_its_own_message_id():
    sender = mailer("smtp://127.0.0.1")
    assert mail(sender)["Message-ID"] != mail(sender)["Message-ID"]


@PLAIN_LOGIN
def test_auth_login_over_plain_loopback():
    with mail_server(login=True, login_needs_tls=False, mechanisms=("LOGIN",)) as server:
        sender = mailer(server.url(), username=USERNAME, password=SecretStr(PASSWORD))
        sender.send(mail(sender))
        assert server.inbox.logins == [("LOGIN", USERNAME)]
        assert [r.login for r in server.inbox.received] == [USERNAME]


@PLAIN_LOGIN
def test_a_wrong_password_is_a_refused_login_and_nothing_is_sent():
    with mail_server(login=True, login_needs_tls=False) as server:
        sender = mailer(server.url(), username=USERNAME, password=SecretStr("wrong"))
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender))
        assert failure.value.kind is Failure.LOGIN and "535" in failure.value.detail
        assert server.inbox.received == []


def test_a_server_that_offers_no_login_is_a_login_failure():
    with mail_server() as server:
        sender = mailer(server.url(), username=USERNAME, password=SecretStr(PASSWORD))
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender))
        assert failure.value.kind is Failure.LOGIN
        assert server.inbox.received == []


def test_starttls_then_login_and_the_message_travels_encrypted(certificate):
    tls = certificate.server_context()
    with mail_server(tls=tls, login=True) as server:
        sender = mailer(
            server.url("smtp+starttls"),
            username=USERNAME,
            password=SecretStr(PASSWORD),
            ca_file=certificate.cert,
        )
        sender.send(mail(sender))
        [received] = server.inbox.received
    assert received.over_tls is True and received.login == USERNAME


def test_starttls_with_a_certificate_nobody_vouches_for_sends_nothing(certificate):
    with mail_server(tls=certificate.server_context()) as server:
        sender = mailer(server.url("smtp+starttls"))  # the system's CAs only
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender))
        assert failure.value.kind is Failure.TLS
        assert "CERTIFICATE_VERIFY_FAILED" in failure.value.detail
        assert server.inbox.received == []


def test_starttls_required_but_not_offered_sends_nothing():
    with mail_server() as server:
        sender = mailer(server.url("smtp+starttls"))
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender))
        assert failure.value.kind is Failure.TLS and "STARTTLS" in failure.value.detail
        assert server.inbox.received == []


def test_implicit_tls(certificate):
    with mail_server(implicit_tls=certificate.server_context()) as server:
        sender = mailer(server.url("smtps"), ca_file=certificate.cert)
        sender.send(mail(sender))
        [received] = server.inbox.received
    assert received.over_tls is True


def test_one_refused_recipient_means_nobody_gets_the_mail():
    with mail_server() as server:
        server.inbox.refuse.add("gone@example.com")
        sender = mailer(server.url())
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender, to=("ada@example.com", "gone@example.com")))
        assert failure.value.kind is Failure.REFUSED_RECIPIENTS
        assert failure.value.refused == ("gone@example.com",)
        assert "550" in failure.value.detail
        assert server.inbox.received == []
        # The session was reset, not left half-done: the next mail goes through.
        sender.send(mail(sender))
        assert len(server.inbox.received) == 1


def test_a_message_refused_at_the_end_of_data():
    with mail_server() as server:
        server.inbox.reject_data = True
        sender = mailer(server.url())
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender))
        assert failure.value.kind is Failure.REFUSED_MESSAGE and "554" in failure.value.detail


def test_nobody_listening_is_unreachable():
    sender = mailer(f"smtp://127.0.0.1:{closed_port()}")
    with pytest.raises(MailFailure) as failure:
        sender.send(mail(sender))
    assert failure.value.kind is Failure.UNREACHABLE


def test_a_server_that_never_answers_is_given_up_on_within_the_budget():
    with silent_server() as port:
        sender = mailer(f"smtp://127.0.0.1:{port}")
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender), budget=0.3)
    assert failure.value.kind is Failure.UNREACHABLE


def test_the_budget_covers_the_whole_conversation_not_each_step():
    ticks = iter([0.0, 0.0, 5.0])  # the budget is spent after the connection is made

    with mail_server() as server:
        sender = mailer(server.url())
        with pytest.raises(MailFailure) as failure:
            sender.send(mail(sender), budget=2.5, monotonic=lambda: next(ticks, 9.0))
        assert failure.value.kind is Failure.UNREACHABLE and "in time" in failure.value.detail
        assert server.inbox.received == []


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("smtp://mail.acme.com", SmtpEndpoint("mail.acme.com", 25, "plain")),
        ("smtp+starttls://mail.acme.com", SmtpEndpoint("mail.acme.com", 587, "starttls")),
        ("smtps://mail.acme.com", SmtpEndpoint("mail.acme.com", 465, "tls")),
        ("smtp+starttls://mail.acme.com:2525/", SmtpEndpoint("mail.acme.com", 2525, "starttls")),
    ],
)
def test_smtp_url_schemes(url, endpoint):
    assert parse_smtp_url(url) == endpoint


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"SMTP_URL": "http://mail.acme.com"}, "use smtp://, smtp+starttls:// or smtps://"),
        ({"SMTP_URL": "smtp://"}, "names no mail server"),
        ({"SMTP_URL": "smtp://mail.acme.com:99999"}, "invalid port"),
        ({"SMTP_URL": "smtp://u:p@mail.acme.com"}, "put the login in SMTP_USERNAME"),
        ({"SMTP_URL": "smtp://mail.acme.com"}, "SMTP_FROM is required"),
        ({"SMTP_URL": "smtp://m.acme.com", "SMTP_FROM": "support"}, "not an email address"),
        ({"SMTP_URL": "smtp://m.acme.com", "SMTP_FROM": "help@YOUR-DOMAIN.com"}, "placeholder"),
        (
            {"SMTP_URL": "smtp://m.acme.com", "SMTP_FROM": "h@acme.com", "SMTP_PASSWORD": "p"},
            "SMTP_USERNAME is not",
        ),
        (
            {
                "SMTP_URL": "smtp://mail.acme.com",
                "SMTP_FROM": "help@acme.com",
                "SMTP_USERNAME": "bot",
                "SMTP_PASSWORD": "pw",
            },
            "would travel unencrypted",
        ),
    ],
)
def test_bad_smtp_settings_are_named(environment, message):
    with pytest.raises(ConfigError) as error:
        load_settings(environment)
    assert message in str(error.value) and str(error.value).startswith("environment:")


def test_smtp_settings_build_a_mailer_and_blank_ones_none():
    settings = load_settings(
        {
            "SMTP_URL": "smtps://mail.acme.com",
            "SMTP_FROM": SENDER,
            "SMTP_USERNAME": "bot",
            "SMTP_PASSWORD": "pw",
        }
    )
    built = Mailer.from_settings(settings)
    assert built is not None and built.endpoint == SmtpEndpoint("mail.acme.com", 465, "tls")
    assert built.envelope_from == "help@acme-support.com"
    assert "pw" not in repr(settings)
    # A password may cross loopback in the clear: the relay is on the same host.
    assert load_settings(
        {"SMTP_URL": "smtp://127.0.0.1:25", "SMTP_FROM": "h@acme.com"}
        | {"SMTP_USERNAME": "bot", "SMTP_PASSWORD": "pw"}
    )
    assert Mailer.from_settings(load_settings({"SMTP_URL": "", "SMTP_FROM": ""})) is None
    # Only a template's loud markers are placeholders; this is somebody's real domain.
    real = load_settings({"SMTP_URL": "smtp://127.0.0.1", "SMTP_FROM": "help@yourhome.de"})
    assert real.smtp_from == "help@yourhome.de"
