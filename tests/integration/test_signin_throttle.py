"""Sign-in throttling: after 10 failures per account (30 per client address) in 15 minutes the form
answers 429 with Retry-After, without checking the password, for unknown usernames exactly as for
known ones; the count lives in the database, so every process on one PostgreSQL database shares it."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from data.migrate import upgrade
from data.models import AuthSession, User
from data.signin_attempts import SigninFailure
from data.uow import SqlAlchemyUnitOfWork
from services import auth
from tests.conftest import make_settings, shutdown
from tests.http_helpers import CSRF
from tests.integration.test_metrics import AUTH, sample

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
ATTACKER = "203.0.113.7"
THROTTLED = "Too many failed sign-ins. Try again in"


class CountingHasher(PasswordHasher):
    """argon2's hasher, counting verifications: a throttled attempt must not make one."""

    verified = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        type(self).verified += 1
        return super().verify(hash, password)


@pytest.fixture
def counting_hasher(monkeypatch):
    CountingHasher.verified = 0
    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    return CountingHasher


def service_uow(url: str) -> SqlAlchemyUnitOfWork:
    """A unit of work on a migrated database with one user, alice, whose password is 'right'."""
    engine = make_engine(url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with uow() as tx:
        if tx.users.by_username("alice") is None:
            tx.users.add(User(username="alice", display_name="Alice", password_hash=auth.hash_password("right"),
                              role="sales", active=True, created_at=T0))
            tx.commit()
    return uow


def fail(uow, username: str, times: int, at: datetime, address: str = ATTACKER) -> None:
    for _ in range(times):
        with pytest.raises(auth.AuthError) as refused:
            auth.sign_in(uow, username, "wrong", clock=lambda: at, client_address=address)
        assert not isinstance(refused.value, auth.TooManyAttempts)


def post_login(client, username, password, address=ATTACKER, **extra):
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, **extra},
                       environ_base={"REMOTE_ADDR": address})


def session_count(app) -> int:
    with app.extensions["cockpit"].uow.session_factory() as s:
        return s.scalar(select(func.count()).select_from(AuthSession))


def test_eleventh_attempt_with_the_right_password_is_refused_with_429(app, caplog):
    client = app.test_client()
    for _ in range(10):
        assert post_login(client, "manager", "guess").status_code == 401
    with caplog.at_level(logging.WARNING, logger="cockpit.auth"):
        refused = post_login(client, " Manager ", DEMO_PASSWORD)  # as typed: case and spaces do not matter
    assert refused.status_code == 429
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.get_data(as_text=True)
    assert session_count(app) == 0
    assert any("account" in r.getMessage() and ATTACKER in r.getMessage() for r in caplog.records)
    metrics = app.test_client().get("/metrics", headers=AUTH).get_data(as_text=True)
    assert sample(metrics, "signin_throttled_total", kind="account") == 1
    assert sample(metrics, "signin_throttled_total", kind="address") == 0


def test_the_throttle_lifts_when_the_window_has_passed(tmp_path, counting_hasher):
    uow = service_uow(f"sqlite:///{tmp_path / 'auth.db'}")
    fail(uow, "alice", 10, T0)
    with pytest.raises(auth.TooManyAttempts) as refused:
        auth.sign_in(uow, "alice", "right", clock=lambda: T0 + timedelta(minutes=14), client_address=ATTACKER)
    assert (refused.value.kind, refused.value.retry_after) == ("account", 60)
    assert str(refused.value) == "Too many failed sign-ins. Try again in 1 minute."
    assert counting_hasher.verified == 10  # the refused attempt checked no password
    signed = auth.sign_in(uow, "alice", "right", clock=lambda: T0 + timedelta(minutes=15), client_address=ATTACKER)
    assert signed.actor.username == "alice"
    fail(uow, "alice", 9, T0 + timedelta(minutes=16))  # success cleared the count: nine more are allowed


def test_unknown_usernames_are_throttled_exactly_like_known_ones(tmp_path, counting_hasher):
    uow = service_uow(f"sqlite:///{tmp_path / 'auth.db'}")
    fail(uow, "alice", 10, T0, address="198.51.100.1")
    fail(uow, "nobody", 10, T0, address="198.51.100.2")
    assert counting_hasher.verified == 20  # one verification per attempt, user or not: equal timing
    later = T0 + timedelta(minutes=5)
    refusals = []
    for name, address in (("alice", "198.51.100.1"), ("nobody", "198.51.100.2")):
        with pytest.raises(auth.TooManyAttempts) as refused:
            auth.sign_in(uow, name, "right", clock=lambda: later, client_address=address)
        refusals.append((refused.value.kind, refused.value.retry_after, str(refused.value)))
    assert refusals[0] == refusals[1] == ("account", 600, "Too many failed sign-ins. Try again in 10 minutes.")
    assert counting_hasher.verified == 20


def test_one_address_is_throttled_across_usernames(app):
    client = app.test_client()
    for n in range(auth.ADDRESS_THROTTLE.limit):
        assert post_login(client, f"guess{n % 5}", "guess").status_code == 401  # no account reaches its limit
    refused = post_login(client, "sales", DEMO_PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert post_login(client, "sales", DEMO_PASSWORD, address="192.0.2.20").status_code == 302
    metrics = app.test_client().get("/metrics", headers=AUTH).get_data(as_text=True)
    assert sample(metrics, "signin_throttled_total", kind="address") == 1


def test_old_failures_are_purged(tmp_path):
    uow = service_uow(f"sqlite:///{tmp_path / 'auth.db'}")
    fail(uow, "nobody", 3, T0)
    fail(uow, "alice", 1, T0 + timedelta(minutes=16))
    with uow(write=False) as tx:
        assert tx.signin_attempts.count() == 2  # alice's failure, per account and per address


@pytest.mark.postgres
def test_two_app_instances_on_one_postgresql_database_share_the_count(pg_url, tmp_path):
    from app import create_app

    apps = [create_app(make_settings(tmp_path / name, database_url=pg_url, demo_leads=20)) for name in ("a", "b")]
    try:
        a, b = (app.test_client() for app in apps)
        for n in range(10):
            assert post_login(a if n % 2 else b, "analyst", "guess").status_code == 401
        assert post_login(a, "analyst", DEMO_PASSWORD).status_code == 429
        assert post_login(b, "analyst", DEMO_PASSWORD).status_code == 429
        assert post_login(b, "viewer", DEMO_PASSWORD).status_code == 302  # other accounts are not affected
    finally:
        for app in apps:
            shutdown(app)


@pytest.mark.postgres
def test_a_burst_of_parallel_guesses_over_two_processes_gets_exactly_ten_tries(pg_url):
    uows = [service_uow(pg_url), service_uow(pg_url)]  # two engines: as two processes would have
    outcomes = []

    def guess(n):
        try:
            auth.sign_in(uows[n % 2], "alice", f"wrong{n}", clock=lambda: T0)
        except auth.TooManyAttempts:
            outcomes.append("throttled")
        except auth.AuthError:
            outcomes.append("wrong")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["throttled"] * 6 + ["wrong"] * 10
    with uows[0].session_factory() as s:
        assert s.scalar(select(func.count()).select_from(SigninFailure)) == 10


# --- whatever is typed into the form ------------------------------------------------------------

USERNAMES = (st.sampled_from([*DEMO_ACCOUNTS, "nobody", " manager ", "MANAGER", "\x00", "a\x00b", "' or 1=1 --"])
             | st.text(max_size=45) | st.text(min_size=41, max_size=500))
PASSWORDS = (st.text(max_size=60) | st.text(min_size=199, max_size=1000)).filter(lambda p: p != DEMO_PASSWORD)
FORMS = st.fixed_dictionaries({}, optional={"username": USERNAMES, "password": PASSWORDS})
ADDRESSES = st.sampled_from(["198.51.100.9", "198.51.100.10", "2001:db8::1", "2001:db8::2", "::ffff:198.51.100.9"])


@pytest.fixture
def pg_app(pg_url, tmp_path):
    from app import create_app

    app = create_app(make_settings(tmp_path, database_url=pg_url, demo_leads=20))
    yield app
    shutdown(app)


@pytest.mark.postgres
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=FORMS, address=ADDRESSES, with_token=st.integers(0, 9))
def test_fuzzed_login_forms_never_fail_the_server_nor_sign_anyone_in(pg_app, form, address, with_token):
    """On PostgreSQL, which refuses NUL characters in text that SQLite would take."""
    client = pg_app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    data = {**form, "csrf_token": token} if with_token else form  # one in ten without the token
    r = client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})
    assert r.status_code in (200, 400, 401, 429), r.status_code
    assert ("Retry-After" in r.headers) == (r.status_code == 429)
    assert session_count(pg_app) == 0
