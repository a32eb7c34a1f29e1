"""Opens and clicks over HTTP: the first of each kind per message is an event (with the template,
version, variant and lead of the send), repeats are counted; a click goes only where the mail's own
link went; forged tokens and link numbers record nothing and never redirect; tracking can be off."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from data.models import EmailMessage, EventRecord, Lead
from data.tracking import EmailTracking
from mailer.tracking import tracking_token
from tests.conftest import serving_demo_app

SECRET = "test-secret-key-0123456789"
BODY = '<p>Hallo</p><a href="https://shop.example/angebot?a=1&amp;b=2">Angebot</a> <a href="https://frisch.example/">Web</a>'
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("tracking"), demo_leads=20) as (live, app):
        yield live.url, app.extensions["cockpit"].uow


def sent_message(uow, key: str) -> int:
    with uow() as tx:
        lead = tx.session.scalar(select(Lead).order_by(Lead.id).limit(1))
        message = EmailMessage(idempotency_key=key, lead_id=lead.id, to_email=lead.email or "x@example.com",
                               subject="Wie war die Probe?", body_html=BODY, body_text="Hallo", status="sent",
                               created_at=NOW, sent_at=NOW, template_version=4, template_variant="B",
                               context={"followup_step": "T3"})
        tx.session.add(message)
        tx.session.flush()
        tx.commit()
        return message.id


def events(uow, type_: str, key: str) -> list[dict]:
    with uow(write=False) as tx:
        rows = tx.session.scalars(select(EventRecord.data).where(EventRecord.type == type_)).all()
    return [d for d in rows if d["message_id"] == key]


def counts(uow, message_id: int) -> dict[str, int]:
    with uow(write=False) as tx:
        return dict(tx.session.execute(select(EmailTracking.kind, EmailTracking.count)
                                       .where(EmailTracking.message_id == message_id)).all())


def test_opens_are_logged_once_and_counted(served):
    url, uow = served
    message_id = sent_message(uow, "track-open")
    token = tracking_token(message_id, SECRET)
    for _ in range(3):
        pixel = requests.get(f"{url}/t/o/{token}.gif")
        assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    [opened] = events(uow, "com.freshplan.email.opened.v1", "track-open")
    assert (opened["template_version"], opened["variant"], opened["step"]) == (4, "B", "T3") and opened["lead_id"]
    assert counts(uow, message_id) == {"open": 3}


def test_a_click_goes_where_the_mail_linked_and_nowhere_else(served):
    url, uow = served
    message_id = sent_message(uow, "track-click")
    token = tracking_token(message_id, SECRET)
    first = requests.get(f"{url}/t/c/{token}/0", allow_redirects=False)
    assert first.status_code == 302 and first.headers["Location"] == "https://shop.example/angebot?a=1&b=2"
    assert requests.get(f"{url}/t/c/{token}/1", allow_redirects=False).headers["Location"] == "https://frisch.example/"
    assert len(events(uow, "com.freshplan.email.clicked.v1", "track-click")) == 1 and counts(uow, message_id) == {"click": 2}
    for bad in (f"/t/c/{token}/2", f"/t/c/{message_id}.forged/0", f"/t/c/{message_id + 999}.{token.split('.')[1]}/0"):
        answer = requests.get(url + bad, allow_redirects=False)
        assert answer.status_code == 404 and "Location" not in answer.headers


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# "." and ".." are path segments an HTTP client collapses before sending: the server never sees them as a token
@given(token=st.text(min_size=1, max_size=80).filter(lambda t: "/" not in t and t not in (".", "..")), link=st.integers(0, 10**20))
def test_any_token_answers_without_an_error_and_records_nothing(served, token, link):
    url, uow = served
    with uow(write=False) as tx:
        before = tx.session.scalar(select(func.count()).select_from(EmailTracking))
    assert requests.get(f"{url}/t/o/{requests.utils.quote(token, safe='')}.gif").status_code == 200
    assert requests.get(f"{url}/t/c/{requests.utils.quote(token, safe='')}/{link}", allow_redirects=False).status_code == 404
    with uow(write=False) as tx:
        assert tx.session.scalar(select(func.count()).select_from(EmailTracking)) == before


def test_with_tracking_off_nothing_is_recorded(tmp_path):
    with serving_demo_app(tmp_path, demo_leads=5, tracking_enabled=False) as (live, app):
        uow = app.extensions["cockpit"].uow
        message_id = sent_message(uow, "untracked")
        token = tracking_token(message_id, SECRET)
        assert requests.get(f"{live.url}/t/o/{token}.gif").status_code == 200
        assert requests.get(f"{live.url}/t/c/{token}/0", allow_redirects=False).status_code == 404
        assert counts(uow, message_id) == {}
