"""The operations use cases on SQLite with the real email core (file provider): admins only; dead sink
deliveries retried or discarded; dead mail retried, unconfirmed mail retried only when its provider
verifiably does not have it, else marked sent or discarded, and never sent twice; suppressions lifted
with a reason. Every change is an operator action (who, when, why) and a `cockpit.audit` line."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import EmailMessage, EventRecord, Suppression, User
from data.row_window import RowWindow
from data.sink_models import SinkDelivery
from data.task_models import OperatorAction
from data.uow import SqlAlchemyUnitOfWork
from domain.roles import Actor, Forbidden, Role
from mailer.dispatcher import build_dispatcher
from services.operations import OperationRefused, operate, operations_rows, provider_verdict, recent_actions
from tests.conftest import make_settings

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ADMIN = Actor(1, "admin", Role.ADMIN, None)


def clock():
    return T0


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow() as tx:
        tx.users.add(User(username="admin", display_name="Admin", password_hash="x", role="admin", created_at=T0))
        tx.commit()
    yield uow
    engine.dispose()


@pytest.fixture
def dispatcher(uow, tmp_path):
    return build_dispatcher(uow, make_settings(tmp_path), clock=clock)


def dead_delivery(uow, n: int) -> str:
    with uow() as tx:
        record = EventRecord(id=f"e{n}", source="/crm", type="com.freshplan.lead.registered.v1", time=T0,
                             idempotency_key=f"k{n}", data={}, recorded_at=T0)
        tx.session.add(record)
        tx.session.flush()
        tx.session.add(SinkDelivery(sink="webhook", event_seq=record.seq, attempts=8, last_error="HTTP 410 Gone",
                                    dead_at=T0))
        tx.commit()
        return f"webhook/{record.seq}"


def message(uow, key: str, status: str, provider: str = "smtp") -> str:
    with uow() as tx:
        row = EmailMessage(idempotency_key=key, to_email=f"{key}@x.example", subject="Hallo", body_text="Hallo",
                           status=status, provider=provider, attempts=3, last_error="timeout", created_at=T0,
                           next_attempt_at=None if status != "queued" else T0)
        tx.session.add(row)
        tx.commit()
        return str(row.id)


def stored(uow) -> tuple:
    with uow(write=False) as tx:
        return (tx.session.scalar(select(func.count()).select_from(OperatorAction)),
                tuple(tx.session.execute(select(SinkDelivery.dead_at, SinkDelivery.attempts)).all()),
                tuple(tx.session.execute(select(EmailMessage.status, EmailMessage.attempts).order_by(EmailMessage.id)).all()),
                tx.session.scalar(select(func.count()).select_from(Suppression)))


def status_of(uow, message_id: str) -> str:
    with uow(write=False) as tx:
        return tx.session.get(EmailMessage, int(message_id)).status


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES, Role.ANALYST, Role.VIEWER])
def test_only_admins_see_or_change_anything(uow, role):
    key = dead_delivery(uow, 1)
    someone = Actor(1, "someone", role, 1)
    for tab in ("sinks", "mail", "suppressions"):
        with pytest.raises(Forbidden):
            operations_rows(uow, someone, tab, RowWindow())
    with pytest.raises(Forbidden):
        operate(uow, someone, "sinks", "retry", key, clock=clock)
    with pytest.raises(Forbidden):
        recent_actions(uow, someone)
    assert stored(uow)[0] == 0


def test_a_dead_delivery_is_retried_once_with_an_audit_line(uow, caplog):
    key = dead_delivery(uow, 1)
    assert operations_rows(uow, ADMIN, "sinks", RowWindow()).rows[0]["id"] == key
    with caplog.at_level(logging.INFO, logger="cockpit.audit"):
        assert operate(uow, ADMIN, "sinks", "retry", key, clock=clock) is True
    assert operate(uow, ADMIN, "sinks", "retry", key, clock=clock) is False  # pending now, not dead
    assert operations_rows(uow, ADMIN, "sinks", RowWindow()).total == 0
    with uow(write=False) as tx:
        row = tx.session.scalar(select(SinkDelivery))
        assert (row.dead_at, row.attempts, row.next_attempt_at) == (None, 0, T0)
    [line] = [r.getMessage() for r in caplog.records if r.name == "cockpit.audit"]
    assert "sinks retry by user=admin" in line and key in line and "HTTP 410 Gone" in line
    assert recent_actions(uow, ADMIN)[0] | {"at": None} == {"at": None, "username": "admin", "action": "sink.retry",
                                                            "target": key, "reason": ""}


def test_a_discard_needs_a_reason_and_is_final(uow):
    key = dead_delivery(uow, 1)
    for reason in (None, "", "   \n "):
        with pytest.raises(OperationRefused):
            operate(uow, ADMIN, "sinks", "discard", key, reason, clock=clock)
    assert operate(uow, ADMIN, "sinks", "discard", key, "receiver\nwas retired", clock=clock) is True
    assert operate(uow, ADMIN, "sinks", "retry", key, clock=clock) is False
    assert operations_rows(uow, ADMIN, "sinks", RowWindow()).total == 0
    assert recent_actions(uow, ADMIN)[0]["reason"] == "receiver was retired"  # one line, as logged


def test_a_dead_mail_is_queued_again_and_sent_once(uow, dispatcher, tmp_path):
    dead = message(uow, "dead1", "dead", provider="file")
    [row] = operations_rows(uow, ADMIN, "mail", RowWindow(), verdict=provider_verdict(dispatcher)).rows
    assert (row["id"], row["actions"], row["provider_check"]) == (dead, ["retry", "discard"], "refused")
    assert operate(uow, ADMIN, "mail", "retry", dead, verdict=provider_verdict(dispatcher), clock=clock) is True
    assert status_of(uow, dead) == "queued"
    dispatcher.dispatch_once()
    assert status_of(uow, dead) == "sent" and len(list((tmp_path / "mail").glob("*.eml"))) == 1
    assert operate(uow, ADMIN, "mail", "retry", dead, verdict=provider_verdict(dispatcher), clock=clock) is False
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_an_unconfirmed_mail_a_provider_cannot_check_is_never_retried(uow, dispatcher):
    unsure = message(uow, "unsure", "unconfirmed", provider="smtp")
    verdict = provider_verdict(dispatcher)
    [row] = operations_rows(uow, ADMIN, "mail", RowWindow(), verdict=verdict).rows
    assert (row["actions"], row["provider_check"]) == (["mark_sent", "discard"], "cannot tell")
    before = stored(uow)
    with pytest.raises(OperationRefused, match="twice"):
        operate(uow, ADMIN, "mail", "retry", unsure, verdict=verdict, clock=clock)
    assert stored(uow) == before
    assert operate(uow, ADMIN, "mail", "mark_sent", unsure, "SMTP log shows 250 OK", verdict=verdict, clock=clock)
    assert status_of(uow, unsure) == "sent"
    with uow(write=False) as tx:
        [sent] = tx.session.scalars(select(EventRecord).where(EventRecord.type == "com.freshplan.email.sent.v1"))
        assert sent.data["message_id"] == "unsure"


def test_an_unconfirmed_file_mail_is_retried_only_when_the_file_is_missing(uow, dispatcher, tmp_path):
    verdict = provider_verdict(dispatcher)
    missing = message(uow, "missing", "unconfirmed", provider="file")
    written = message(uow, "written", "queued", provider=None)
    dispatcher.dispatch_once()
    with uow() as tx:  # a crash after the file was written: the row still says unconfirmed
        tx.session.get(EmailMessage, int(written)).status = "unconfirmed"
        tx.commit()
    rows = {r["id"]: r for r in operations_rows(uow, ADMIN, "mail", RowWindow(), verdict=verdict).rows}
    assert rows[missing]["actions"] == ["retry", "discard"] and rows[written]["actions"] == ["mark_sent"]
    with pytest.raises(OperationRefused, match="Mark it sent"):
        operate(uow, ADMIN, "mail", "retry", written, verdict=verdict, clock=clock)
    with pytest.raises(OperationRefused, match="Retry it"):
        operate(uow, ADMIN, "mail", "mark_sent", missing, "sure", verdict=verdict, clock=clock)
    assert operate(uow, ADMIN, "mail", "retry", missing, verdict=verdict, clock=clock) is True
    dispatcher.dispatch_once()
    assert status_of(uow, missing) == "sent" and len(list((tmp_path / "mail").glob("*.eml"))) == 2


def test_a_dead_mail_cannot_be_marked_sent_and_a_discarded_one_leaves_the_list(uow, dispatcher):
    dead, unsure = message(uow, "d", "dead"), message(uow, "u", "unconfirmed")
    with pytest.raises(OperationRefused, match="not sent"):
        operate(uow, ADMIN, "mail", "mark_sent", dead, "sure", clock=clock)
    assert operate(uow, ADMIN, "mail", "discard", unsure, "customer asked by phone", clock=clock) is True
    assert [r["id"] for r in operations_rows(uow, ADMIN, "mail", RowWindow()).rows] == [dead]
    assert status_of(uow, unsure) == "unconfirmed"  # nobody knows whether it went out; it is only settled


def test_lifting_a_suppression_keeps_who_when_and_why(uow, caplog):
    with uow() as tx:
        tx.session.add_all([Suppression(email="wrong@x.example", reason="bounce", source="ses", created_at=T0),
                            Suppression(email="keep@x.example", reason="unsubscribe", source="link",
                                        created_at=T0 + timedelta(hours=1))])
        tx.commit()
    rows = operations_rows(uow, ADMIN, "suppressions", RowWindow(), search="WRONG").rows
    assert [r["email"] for r in rows] == ["wrong@x.example"]
    with pytest.raises(OperationRefused):
        operate(uow, ADMIN, "suppressions", "lift", rows[0]["id"], "  ", clock=clock)
    with caplog.at_level(logging.INFO, logger="cockpit.audit"):
        assert operate(uow, ADMIN, "suppressions", "lift", rows[0]["id"], "soft bounce, mailbox fixed", clock=clock)
    assert operate(uow, ADMIN, "suppressions", "lift", rows[0]["id"], "again", clock=clock) is False
    with uow(write=False) as tx:
        [lift] = tx.session.scalars(select(OperatorAction))
        assert (lift.action, lift.target, lift.reason, lift.username, lift.at) == (
            "suppression.lift", "wrong@x.example", "soft bounce, mailbox fixed", "admin", T0)
        assert lift.details == {"reason": "bounce", "source": "ses", "suppressed_at": T0.isoformat()}
    assert operations_rows(uow, ADMIN, "suppressions", RowWindow()).total == 1
    assert any("wrong@x.example" in r.getMessage() and "mailbox fixed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("tab, action, key", [
    (["sinks"], "retry", "webhook/1"), ("sinks", ["retry"], "webhook/1"), ("nope", "retry", "1"),
    ("sinks", "lift", "webhook/1"), ("sinks", "retry", "webhook/0"), ("sinks", "retry", "web hook/1"),
    ("sinks", "retry", "webhook/99999999999999999999"), ("sinks", "retry", 1), ("mail", "retry", "-1"),
    ("mail", "retry", "١٢"), ("mail", "retry", "1e3"), ("mail", "retry", None), ("suppressions", "lift", "no address"),
    ("suppressions", "lift", "a\n@b.example"), ("suppressions", "lift", 7), ("suppressions", "lift", "@" * 300),
])
def test_hostile_operations_are_refused_and_store_nothing(uow, tab, action, key):
    dead_delivery(uow, 1)
    before = stored(uow)
    with pytest.raises(OperationRefused):
        operate(uow, ADMIN, tab, action, key, "why", clock=clock)
    assert stored(uow) == before
