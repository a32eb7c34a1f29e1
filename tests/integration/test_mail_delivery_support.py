"""Shared pieces of the mail delivery tests (no tests here): a database, a movable clock, leads,
and a provider that records its calls and fails on demand."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EmailMessage, Lead, Suppression
from data.uow import SqlAlchemyUnitOfWork
from mailer.api import MailRequest, QueueOutcome, RenderedMail, queue_mail
from mailer.dispatcher import MailDispatcher
from mailer.message import OutgoingMail
from mailer.providers import MailProvider
from mailer.routing import ProviderChain

SECRET = "test-secret-key-0123456789"
BASE_URL = "http://cockpit.test"
SENDER = "Frischküche Vertrieb <vertrieb@frisch.example>"


class FakeTime:
    """One clock for the database times and the limits' monotonic seconds, moved by hand."""

    def __init__(self):
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
        self.seconds = 10_000.0

    def utc(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds


class RecordingProvider(MailProvider):
    """Records every call with the time it happened; raises the scripted errors first, in order."""

    def __init__(self, name: str, clock=None, errors=()):
        self.name, self.clock, self.errors = name, clock, list(errors)
        self.calls: list[tuple[str, float | None]] = []
        self._lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> str:
        with self._lock:
            self.calls.append((mail.key, self.clock() if self.clock else None))
            if self.errors:
                raise self.errors.pop(0)
        return f"{self.name}-{len(self.calls)}"


def make_uow(url: str) -> SqlAlchemyUnitOfWork:
    engine = make_engine(url)
    upgrade(engine)
    return SqlAlchemyUnitOfWork(make_session_factory(engine))


def add_lead(uow, email: str, consent: bool = True) -> int:
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with uow() as tx:
        lead = Lead(company="Hotel Alpenblick", email=email, business_type="HOTEL", status="ACTIVE",
                    email_consent=consent, registered_at=now, updated_at=now)
        tx.session.add(lead)
        tx.commit()
        return lead.id


def suppress(uow, email: str, reason: str = "bounce") -> None:
    with uow() as tx:
        tx.session.add(Suppression(email=email, reason=reason, source="test",
                                   created_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
        tx.commit()


def request(to: str = "koch@restaurant.example", lead_id: int | None = None, n: int = 0) -> MailRequest:
    content = RenderedMail(subject=f"Wie war die Probe? {n}", html=f"<p>Hallo {n}</p>", text=f"Hallo {n}",
                           template_version=3, variant="B")
    return MailRequest(to_email=to, content=content, lead_id=lead_id, context={"followup_step": "T3"})


def queue(uow, key: str, now: datetime, **kwargs) -> QueueOutcome:
    with uow() as tx:
        outcome = queue_mail(tx, request(**kwargs), key, now)
        tx.commit()
    return outcome


def dispatcher(uow, providers, time: FakeTime, per_minute=60, per_hour=240, failure_threshold=5,
               **kwargs) -> MailDispatcher:
    chain = ProviderChain.build(providers, per_minute=per_minute, per_hour=per_hour, clock=time.monotonic,
                                failure_threshold=failure_threshold)
    return MailDispatcher(uow, chain, sender=SENDER, secret=SECRET, base_url=BASE_URL, clock=time.utc, **kwargs)


def messages(uow) -> dict[str, EmailMessage]:
    with uow(write=False) as tx:
        rows = tx.session.query(EmailMessage).all()
        tx.session.expunge_all()
    return {row.idempotency_key: row for row in rows}


@pytest.fixture
def uow(tmp_path):
    return make_uow(f"sqlite:///{tmp_path / 'mail.db'}")


@pytest.fixture
def clock():
    return FakeTime()
