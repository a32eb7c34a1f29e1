"""A first demo start logs the seeded history as events: the analytics pages have numbers at once,
and nothing acts on that history again (no second conversion, no mail), even when it is relayed."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, update

from data.conversion_models import ConversionDecision
from data.db import make_engine, make_session_factory
from demo.seed import seed_demo
from data.migrate import upgrade
from data.models import Activity, Customer, EmailMessage, EventRecord, Lead, User
from data.uow import SqlAlchemyUnitOfWork
from domain.roles import Actor, Role
from services.analytics import funnel_view
from services.analytics_filters import Filters
from demo.history import HISTORY_SOURCE, publish_demo_history
from tests.conftest import make_settings, shutdown

TYPE = "com.freshplan.{}.v1"


@pytest.fixture
def demo_app(tmp_path):
    from app import create_app

    server = create_app(make_settings(tmp_path, demo_leads=120, relay_enabled=False))
    yield server
    shutdown(server)


def _session(server):
    return server.extensions["cockpit"].uow.session_factory()


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def expected_history(s) -> Counter:
    """What the seeded rows say happened, by event type."""
    follow_ups = _count(s, Activity, Activity.type == "FOLLOW_UP")
    expected = {"lead.registered": _count(s, Lead), "followup.sent": follow_ups, "email.sent": follow_ups,
                "lead.sample_delivered": _count(s, Lead, Lead.sample_delivered_at.is_not(None)),
                "followup.replied": _count(s, Activity, Activity.type == "REPLY"),
                "customer.converted": _count(s, Customer)}
    assert all(n > 0 for n in expected.values()), expected
    return Counter({TYPE.format(name): n for name, n in expected.items()})


def logged_history(s) -> Counter:
    return Counter(s.scalars(select(EventRecord.type).where(EventRecord.source == HISTORY_SOURCE)))


def test_a_first_demo_start_logs_each_seeded_fact_once_at_its_historical_time(demo_app):
    with _session(demo_app) as s:
        logged, expected = logged_history(s), expected_history(s)
        opened, clicked = logged.pop(TYPE.format("email.opened")), logged.pop(TYPE.format("email.clicked"))
        assert logged == expected
        # Readers open some of the mails and click in some of those: each once, after its mail went out.
        sent = {d["message_id"] for d in s.scalars(select(EventRecord.data).where(EventRecord.type == TYPE.format("email.sent")))}
        reads = s.scalars(select(EventRecord.data).where(EventRecord.type.in_([TYPE.format("email.opened"),
                                                                              TYPE.format("email.clicked")]))).all()
        assert 0 < clicked < opened < expected[TYPE.format("email.sent")]
        assert {d["message_id"] for d in reads} <= sent
        first_registration = s.scalar(select(func.min(Lead.registered_at)))
        registered = TYPE.format("lead.registered")
        earliest = s.scalar(select(func.min(EventRecord.time)).where(EventRecord.type == registered))
        undelivered = _count(s, EventRecord, EventRecord.delivered_at.is_(None))
    assert earliest == first_registration  # history keeps its own times, not the start's
    assert undelivered == 0  # history: the relay has nothing to hand to consumers or sinks


@pytest.mark.postgres
def test_the_history_is_written_alike_on_postgresql(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    try:
        assert seed_demo(uow.session_factory, hash_password=lambda p: "x", leads=150)
        written = publish_demo_history(uow, datetime.now(timezone.utc), leads_per_batch=40)  # several batches
        with uow.session_factory() as s:
            logged = logged_history(s)
            assert written == sum(logged.values())
            assert logged - Counter({TYPE.format(t): logged[TYPE.format(t)] for t in ("email.opened", "email.clicked")}) \
                == expected_history(s)
    finally:
        engine.dispose()


def test_the_funnel_shows_the_demo_history_once_the_projection_caught_up(demo_app):
    demo_app.extensions["analytics_projection"].catch_up()
    deps = demo_app.extensions["cockpit"]
    with _session(demo_app) as s:
        analyst = s.scalar(select(User).where(User.username == "analyst"))
        leads = _count(s, Lead)
    view = funnel_view(deps, Actor(analyst.id, "analyst", Role.ANALYST, analyst.team_id), Filters(period="365d"))
    counts = {stage["stage"]: stage["count"] for stage in view.stages}
    assert view.stages[0]["count"] == leads and all(n > 0 for n in counts.values()), counts


def test_relaying_the_history_again_converts_nobody_and_sends_no_mail(demo_app):
    with _session(demo_app) as s:
        before = {"customers": _count(s, Customer), "conversions": _count(s, Activity, Activity.type == "CONVERSION"),
                  "events": _count(s, EventRecord), "statuses": Counter(s.scalars(select(Lead.status)))}
        replies = _count(s, EventRecord, EventRecord.type == TYPE.format("followup.replied"))
        # As if the log were replayed: every history event is handed to the consumers once more.
        s.execute(update(EventRecord).where(EventRecord.source == HISTORY_SOURCE).values(delivered_at=None))
        s.commit()
    relay = demo_app.extensions["relay"]
    while relay.run_once():
        pass
    with _session(demo_app) as s:
        after = {"customers": _count(s, Customer), "conversions": _count(s, Activity, Activity.type == "CONVERSION"),
                 "events": _count(s, EventRecord), "statuses": Counter(s.scalars(select(Lead.status)))}
        assert _count(s, EventRecord, EventRecord.delivered_at.is_(None)) == 0  # the relay did hand them over
        assert _count(s, EmailMessage) == 0
        assert _count(s, ConversionDecision) == 0
    assert replies > 0 and after == before


def test_a_demo_history_longer_than_the_wait_is_logged_while_the_app_serves(tmp_path, monkeypatch):
    import app as cockpit

    monkeypatch.setattr(cockpit, "DEMO_HISTORY_WAIT_S", 0.0)  # as with 100,000 leads: serve before it is done
    server = cockpit.create_app(make_settings(tmp_path, demo_leads=400, demo_simulator=False))
    try:
        history = server.extensions["demo_history"]
        assert server.test_client().get("/healthz").status_code == 200
        assert history.wait(60) and history.written > 0
        with _session(server) as s:
            logged, expected = logged_history(s), expected_history(s)
            assert {t: logged[t] for t in expected} == expected  # every seeded fact once
            assert sum(logged.values()) == history.written
    finally:
        shutdown(server)
