"""SMTP delivery against real local SMTP servers (aiosmtpd) that accept, refuse (4xx, 5xx) or drop
the connection on demand: retries, dead letters, the breaker and failover to a second server."""
from __future__ import annotations

import datetime as dt
import email
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mailer.providers.smtp import SmtpProvider
from tests.integration.test_mail_delivery_support import clock, dispatcher, messages, queue, uow  # noqa: F401


class ScriptedHandler:
    """Answers each mail with the next scripted step: ("rcpt", reply), ("data", reply), "drop", or
    nothing left (accept). Accepted mails are kept in `received`."""

    def __init__(self):
        self.script: list = []
        self.received: list[email.message.Message] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.script and isinstance(self.script[0], tuple) and self.script[0][0] == "rcpt":
            return self.script.pop(0)[1]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        step = self.script.pop(0) if self.script else None
        if step == "drop":
            server.transport.close()  # the connection dies before the final reply
            return "250 never heard"
        if step:
            return step[1]
        self.received.append(email.message_from_bytes(envelope.original_content))
        return "250 2.0.0 queued"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self, **kwargs):
        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def provider(self, name="smtp", **kwargs) -> SmtpProvider:
        return SmtpProvider("127.0.0.1", self.port, security="none", timeout=5, name=name, **kwargs)


@pytest.fixture
def server():
    with SmtpServer() as running:
        yield running


def test_mail_arrives_with_its_headers_and_both_parts(uow, clock, server):
    queue(uow, "plain", clock.now)
    dispatcher(uow, [server.provider()], clock).dispatch_once()
    [mime] = server.handler.received
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime["List-Unsubscribe"].startswith("<http://cockpit.test/unsubscribe?token=")
    assert [part.get_content_type() for part in mime.walk()][1:] == ["text/plain", "text/html"]
    row = messages(uow)["plain"]
    assert (row.status, row.provider_message_id) == ("sent", mime["Message-ID"])


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: the server's context and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return server, ssl.create_default_context(cafile=str(folder / "cert.pem"))


def _login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"vertrieb", b"geheim"))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_or_implicit_tls_with_login(uow, clock, tls_context, security):
    server_tls, client_tls = tls_context
    options = ({"tls_context": server_tls, "require_starttls": True} if security == "starttls"
               # aiosmtpd only counts STARTTLS as TLS; behind implicit TLS it must be told AUTH is fine
               else {"ssl_context": server_tls, "auth_require_tls": False})
    with SmtpServer(authenticator=_login, auth_required=True, **options) as server:
        provider = SmtpProvider("127.0.0.1", server.port, security=security, user="vertrieb", password="geheim",
                                ssl_context=client_tls, timeout=5)
        queue(uow, "tls", clock.now)
        dispatcher(uow, [provider], clock).dispatch_once()
        assert messages(uow)["tls"].status == "sent" and len(server.handler.received) == 1


def test_a_server_wide_5xx_is_temporary_not_a_dead_letter(uow, clock, server):
    """530/535 say the account is wrong, not this mail: retried, and the breaker may fail over."""
    server.handler.script = [("rcpt", "530 5.7.0 authentication required")]
    queue(uow, "auth", clock.now)
    dispatcher(uow, [server.provider()], clock).dispatch_once()
    row = messages(uow)["auth"]
    assert (row.status, row.attempts) == ("failed", 1) and "530" in row.last_error


def test_4xx_and_a_dropped_connection_are_retried_until_sent(uow, clock, server):
    server.handler.script = [("data", "451 4.3.0 try again later"), "drop", ("data", "454 4.7.0 slow down")]
    queue(uow, "retry", clock.now)
    mailer = dispatcher(uow, [server.provider()], clock)
    for expected_attempts in (1, 2, 3):
        mailer.dispatch_once()
        row = messages(uow)["retry"]
        assert (row.status, row.attempts) == ("failed", expected_attempts)
        clock.advance((row.next_attempt_at - clock.now).total_seconds())
    mailer.dispatch_once()
    assert messages(uow)["retry"].status == "sent" and len(server.handler.received) == 1
    assert mailer.metrics.snapshot()["failed"] == {"smtp": {"temporary": 2, "throttled": 1}}


def test_550_is_dead_at_once_and_4xx_forever_is_dead_after_max_attempts(uow, clock, server):
    server.handler.script = [("rcpt", "550 5.1.1 no such mailbox")] + [("data", "452 4.2.2 mailbox full")] * 3
    queue(uow, "unknown", clock.now, to="niemand@restaurant.example")
    queue(uow, "full", clock.now, to="voll@restaurant.example")
    mailer = dispatcher(uow, [server.provider()], clock, max_attempts=3, failure_threshold=100)
    for _ in range(3):
        mailer.dispatch_once()
        clock.advance(600)
    rows = messages(uow)
    assert (rows["unknown"].status, rows["unknown"].attempts) == ("dead", 1) and "550" in rows["unknown"].last_error
    assert (rows["full"].status, rows["full"].attempts) == ("dead", 3) and "452" in rows["full"].last_error
    assert server.handler.received == []


def test_breaker_fails_over_to_a_second_server_and_closes_when_the_first_recovers(uow, clock):
    with SmtpServer() as first, SmtpServer() as second:
        first.handler.script = [("data", "421 4.3.2 shutting down")] * 5
        for n in range(8):
            queue(uow, f"m{n}", clock.now)
        mailer = dispatcher(uow, [first.provider("smtp-a"), second.provider("smtp-b")], clock)
        mailer.dispatch_once()
        assert mailer.metrics.snapshot()["breaker_state"] == {"smtp-a": "open", "smtp-b": "closed"}
        assert len(first.handler.received) == 0 and len(second.handler.received) == 3
        clock.advance(60)  # half-open; the first server works again
        mailer.dispatch_once()
        assert mailer.metrics.snapshot()["breaker_state"] == {"smtp-a": "closed", "smtp-b": "closed"}
        assert len(first.handler.received) == 5
        assert {row.status for row in messages(uow).values()} == {"sent"}
