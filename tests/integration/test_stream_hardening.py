"""GET /stream/cockpit against hostile queries and ended sessions.

Every way out of the stream view frees its slot, so no caller can use up the cap for everyone; and an
open stream ends within one heartbeat of its session ending (sign-out, password change, deactivation).
"""
from __future__ import annotations

import gc
import threading
import time

import pytest
import requests
from hypothesis import given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from data.models import User
from domain.roles import Actor, Role
from services import auth, users
from tests.conftest import LiveServer, make_settings, shutdown, wait_for
from tests.http_helpers import CSRF, sign_in
from tests.integration.test_stream import Stream, _user_and_lead, all_closed, post_reply, sse_clients_metric

HEARTBEAT_S = 0.3
ENDS_WITHIN_S = 3.0  # ten heartbeats: margin for a loaded machine, far below "never"
OVERFLOWING_ID = "99999999999999999999999"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from app import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("stream-hardening"), demo_leads=60, sse_max_streams=4,
                                   sse_heartbeat_s=HEARTBEAT_S, sse_debounce_ms=50, analytics_poll_s=0.2))
    live = LiveServer(app)
    yield live.url, app
    all_closed(app)
    live.close()
    shutdown(app)


def assert_a_normal_stream_opens(url: str, app, session: requests.Session) -> None:
    """No slot is left held: the gauge says 0, a plain stream opens and is the only one counted."""
    all_closed(app)
    assert sse_clients_metric(url) == 0
    stream = Stream(session, url)
    try:
        assert stream.response.status_code == 200
        assert stream.next()["period"] == "7d"
        assert sse_clients_metric(url) == 1
    finally:
        stream.close()
    all_closed(app)


def test_a_hundred_overflowing_team_ids_are_400_and_hold_no_slot(served):
    url, app = served
    viewer = sign_in(url, "viewer")
    for _ in range(100):
        r = viewer.get(f"{url}/stream/cockpit", params={"team": OVERFLOWING_ID}, timeout=10)
        assert r.status_code == 400, r.text
        assert r.json()["parameter"] == "team"
    assert_a_normal_stream_opens(url, app, viewer)


@pytest.mark.parametrize("name, value", [
    ("team", "0"), ("team", "-1"), ("team", "2147483648"), ("team", OVERFLOWING_ID), ("team", "x1"),
    ("team", "²"), ("team", "1.5"), ("team", "٣"), ("member", "0"), ("member", "-7"), ("member", OVERFLOWING_ID),
    ("member", "1e3"), ("period", "year"), ("period", ""), ("period", "7D"),
])
def test_a_bad_parameter_is_a_400_problem_naming_it(served, name, value):
    url, _app = served
    r = sign_in(url, "manager").get(f"{url}/stream/cockpit", params={name: value}, timeout=10)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["parameter"] == name


ID_LIKE = st.one_of(st.integers(min_value=-2**80, max_value=2**80).map(str),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=24),
                    st.sampled_from(["today", "7d", "30d", "1", " 1", "1 ", "+1", "0x1", "1_0"]))
QUERIES = st.dictionaries(st.sampled_from(["team", "member", "period", "view"]), ID_LIKE, max_size=4)


def test_any_query_gets_an_answer_without_a_server_error_and_leaves_no_slot_held(served):
    url, app = served
    viewer = sign_in(url, "viewer")

    @hypothesis_settings(max_examples=80, deadline=None)
    @given(query=QUERIES)
    def answered(query):
        r = viewer.get(f"{url}/stream/cockpit", params=query, stream=True, timeout=10)
        try:
            assert r.status_code in (200, 400, 503), (query, r.status_code)
            if r.status_code == 400:
                assert r.json()["parameter"] in query
        finally:
            r.close()

    answered()
    assert_a_normal_stream_opens(url, app, viewer)


def test_a_failure_while_the_stream_is_built_frees_its_slot_and_subscription(served, monkeypatch):
    url, app = served
    sse = app.extensions["sse"]
    all_closed(app)
    subscribers = sse["broadcaster"].subscriber_count
    session = sign_in(url, "sales")

    def unavailable(key, compute):  # the analytics store failing while the first snapshot is read
        raise RuntimeError("analytics store unavailable")
    with monkeypatch.context() as patched:
        patched.setattr(app.extensions["cockpit"].snapshots, "get", unavailable)
        for _ in range(6):  # more than the cap of 4
            r = session.get(f"{url}/stream/cockpit", timeout=10)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
    assert sse["slots"].open == 0 and sse["broadcaster"].subscriber_count == subscribers
    assert_a_normal_stream_opens(url, app, session)


def _test_client_signed_in(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
    assert r.status_code == 302
    return client


def test_a_stream_that_is_never_read_frees_its_slot_when_closed_or_dropped(served):
    url, app = served
    slots = app.extensions["sse"]["slots"]
    all_closed(app)
    client = _test_client_signed_in(app, "analyst")
    response = client.get("/stream/cockpit", buffered=False)
    assert response.status_code == 200 and slots.open == 1
    response.close()  # what a server does when the client left before the first byte
    assert slots.open == 0
    response = client.get("/stream/cockpit", buffered=False)
    assert slots.open == 1
    del response  # never iterated, never closed: dropped by whatever held it
    gc.collect()
    assert wait_for(lambda: slots.open == 0, timeout=2)
    assert_a_normal_stream_opens(url, app, sign_in(url, "analyst"))


class Watched:
    """An open stream read in a background thread: when each snapshot arrived, and whether it ended."""

    def __init__(self, session: requests.Session, url: str, **params):
        self.response = session.get(f"{url}/stream/cockpit", params=params, stream=True, timeout=10)
        assert self.response.status_code == 200, self.response.text
        self.arrivals: list[float] = []
        self.signed_out = False
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line == "event: signed-out":
                    self.signed_out = True
                elif line and line.startswith("data: ") and not self.signed_out:
                    self.arrivals.append(time.monotonic())
        except (requests.RequestException, AttributeError, ValueError):
            pass
        finally:
            self.ended.set()


def _session_token(app, session: requests.Session) -> str:
    """The session token inside a signed-in browser's cookie (what sign-out ends)."""
    cookie = session.cookies.get(app.config.get("SESSION_COOKIE_NAME", "session"))
    return app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"]


def _assert_ends_after(url: str, app, session: requests.Session, username: str, revoke) -> None:
    _user_id, lead_id = _user_and_lead(app, "sales")
    stream = Watched(session, url, period="today")
    try:
        assert wait_for(lambda: stream.arrivals, timeout=5), "no snapshot on connect"
        revoke()
        revoked_at = time.monotonic()
        post_reply(url, lead_id)  # in every scope used here: would be pushed to a live session
        assert stream.ended.wait(ENDS_WITHIN_S), f"{username}'s stream still open after its session ended"
        assert not [t for t in stream.arrivals if t > revoked_at], "a snapshot was pushed after the session ended"
        assert stream.signed_out, "the stream ended without telling the page to sign in again"
    finally:
        stream.response.close()
    all_closed(app)


def _admin(uow) -> Actor:
    with uow.session_factory() as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        return Actor(admin.id, admin.username, Role.ADMIN, admin.team_id)


def _own_user(url: str, uow, username: str, role: str = "analyst") -> tuple[int, requests.Session]:
    """A user of this test alone (password changes and deactivations stay out of the other tests)."""
    user_id = users.create_user(uow, _admin(uow), username, username, role, None, "pass-1234")
    return user_id, sign_in(url, username, "pass-1234")


def test_signing_out_ends_the_open_stream(served):
    url, app = served
    session = sign_in(url, "sales")
    uow = app.extensions["cockpit"].uow
    _assert_ends_after(url, app, session, "sales", lambda: auth.sign_out(uow, _session_token(app, session)))


def test_a_password_change_elsewhere_ends_the_open_stream(served):
    url, app = served
    uow = app.extensions["cockpit"].uow
    _user_id, session = _own_user(url, uow, "pw-changer")

    def change_password_in_another_session():
        other = auth.sign_in(uow, "pw-changer", "pass-1234")
        assert auth.change_password(uow, other.actor, other.session_token, "pass-1234", "n3w-secret") == 1

    _assert_ends_after(url, app, session, "pw-changer", change_password_in_another_session)


def test_deactivating_the_user_ends_the_open_stream(served):
    url, app = served
    uow = app.extensions["cockpit"].uow
    user_id, session = _own_user(url, uow, "leaver")
    _assert_ends_after(url, app, session, "leaver", lambda: users.update_user(uow, _admin(uow), user_id, active=False))


def test_a_role_change_ends_the_stream_so_the_next_one_gets_the_new_scope(served):
    url, app = served
    uow = app.extensions["cockpit"].uow
    user_id, session = _own_user(url, uow, "demoted")
    demote = lambda: users.update_user(uow, _admin(uow), user_id, role="viewer")  # noqa: E731
    _assert_ends_after(url, app, session, "demoted", demote)
    again = Stream(session, url, member=str(user_id))
    try:
        assert again.response.status_code == 200 and again.next()["member_id"] is None  # a viewer: aggregates
    finally:
        again.close()
