"""Whatever a provider (or someone holding its secret) posts to the mail webhooks: property-based fuzzing
(Hypothesis) over HTTP. No answer is a 5xx; a refused body changes nothing; a deeply nested body and a
forged far-future Date header are answered like any other bad input."""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data.models import Activity, Lead, EventRecord, InboxEntry, Suppression
from tests.conftest import serving_demo_app

SES, SENDGRID, INBOUND = "ses-secret-0123456789", "sg-secret-0123456789", "inbound-secret-0123"
FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

TEXT = st.text(max_size=30) | st.sampled_from(["", "\x00", "x" * 600, "a@b.example", "Bounce", "Complaint",
                                                "Notification", "bounce", "spamreport", "Permanent"])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=10)


def deep(depth: int) -> str:
    """JSON text nesting `depth` arrays (json.dumps itself cannot write that deep)."""
    return "[" * depth + "1" + "]" * depth


DEEP = st.integers(30, 5000).map(deep)
RECIPIENT = st.fixed_dictionaries({"emailAddress": JSON | st.emails()})
SES_MESSAGE = st.fixed_dictionaries({"notificationType": st.sampled_from(["Bounce", "Complaint", "Delivery"]) | JSON},
                                    optional={"bounce": st.fixed_dictionaries({"bounceType": JSON, "bouncedRecipients": st.lists(RECIPIENT, max_size=2) | JSON}),
                                              "complaint": JSON, "mail": JSON})
SES_BODY = st.fixed_dictionaries({"Type": st.just("Notification") | JSON, "MessageId": TEXT | JSON,
                                  "Message": SES_MESSAGE.map(json.dumps) | JSON.map(json.dumps) | TEXT | DEEP})
SENDGRID_ITEM = st.fixed_dictionaries({"event": st.sampled_from(["bounce", "spamreport", "unsubscribe"]) | JSON,
                                       "sg_event_id": TEXT | JSON, "email": st.emails() | JSON},
                                      optional={"type": JSON, "reason": JSON, "sg_message_id": JSON})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("hooks"), demo_leads=20, relay_enabled=False, ses_webhook_secret=SES,
                          sendgrid_webhook_secret=SENDGRID, inbound_webhook_secret=INBOUND) as (live, app):
        yield live.url, app.extensions["cockpit"].uow.session_factory


def stored(db) -> tuple:
    with db() as s:
        return tuple(s.scalar(select(func.count()).select_from(model)) for model in (EventRecord, InboxEntry, Suppression, Activity))


def post_json(url: str, path: str, secret: str, body) -> requests.Response:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return requests.post(f"{url}{path}", params={"secret": secret}, data=raw, timeout=30,
                         headers={"Content-Type": "application/json"})


def assert_refused_whole_or_taken(served, response, before):
    assert response.status_code in (200, 400), response.text[:300]
    assert response.headers["Content-Type"].startswith(("application/json", "application/problem+json"))
    if response.status_code == 400:
        assert stored(served[1]) == before, "a refused body changed something"


@pytest.mark.parametrize("path, secret", [("/webhooks/ses", SES), ("/webhooks/sendgrid", SENDGRID)])
def test_a_deeply_nested_body_is_refused_with_400(served, path, secret):
    before = stored(served[1])
    for depth in (100, 5000, 100_000):
        r = post_json(served[0], path, secret, deep(depth))
        assert r.status_code == 400 and "nests deeper" in r.json()["detail"]
    envelope = {"Type": "Notification", "MessageId": "m-1", "Message": deep(5000)}
    r = post_json(served[0], "/webhooks/ses", SES, envelope)
    assert r.status_code == 400 and "body.Message nests deeper" in r.json()["detail"]
    assert stored(served[1]) == before


@FUZZ
@given(body=SES_BODY | JSON | DEEP)
def test_fuzz_ses(served, body):
    before = stored(served[1])
    assert_refused_whole_or_taken(served, post_json(served[0], "/webhooks/ses", SES, body), before)


@FUZZ
@given(body=st.lists(SENDGRID_ITEM, max_size=3) | JSON | DEEP)
def test_fuzz_sendgrid(served, body):
    before = stored(served[1])
    assert_refused_whole_or_taken(served, post_json(served[0], "/webhooks/sendgrid", SENDGRID, body), before)


@pytest.mark.parametrize("message_id", [[], {"a": 1}, 7, "", "m" * 600])
def test_a_bounce_naming_a_message_id_that_is_not_a_short_string_is_refused_whole(served, message_id):
    """Found by the fuzz test above: such an id reached the event's schema check and answered 500."""
    before = stored(served[1])
    item = {"event": "bounce", "sg_event_id": "sg-bad-id", "email": "bad-id@example.com", "sg_message_id": message_id}
    r = post_json(served[0], "/webhooks/sendgrid", SENDGRID, [item])
    assert r.status_code == 400 and "sg_message_id" in r.json()["detail"]
    message = {"notificationType": "Bounce", "mail": {"messageId": message_id},
               "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "bad-id@example.com"}]}}
    r = post_json(served[0], "/webhooks/ses", SES, {"Type": "Notification", "MessageId": "ses-bad-id",
                                                    "Message": json.dumps(message)})
    assert r.status_code == 400 and "messageId" in r.json()["detail"]
    assert stored(served[1]) == before


DATES = st.sampled_from(["Fri, 31 Dec 9999 23:59:59 -1400", "Mon, 01 Jan 0001 00:00:00 +1400", "Thu, 01 Jan 1970 00:00:00 +0100",
                         "Sat, 01 Jan 2200 00:00:01 +0000", "not a date", ""]) | st.text(max_size=40)


@FUZZ
@given(date=DATES, sender=st.sampled_from(["", "lead"]) | st.emails() | TEXT, text=TEXT)
def test_fuzz_inbound_dates_and_senders(served, date, sender, text):
    if sender == "lead":  # a sender with a lead, so the Date header is read
        with served[1]() as s:
            sender = s.scalar(select(Lead.email).where(Lead.email.is_not(None)).limit(1))
    headers = f"Message-ID: <fuzz@mail.example>\nDate: {date}\n".replace("\x00", "")
    fields = {"from": sender, "subject": "Re: Produkttest", "text": text, "headers": headers}
    r = requests.post(f"{served[0]}/webhooks/inbound", params={"secret": INBOUND}, timeout=30,
                      files={k: (None, v) for k, v in fields.items()})
    assert r.status_code in (200, 400), r.text[:300]


def test_a_far_future_date_header_is_read_as_no_date(served):
    with served[1]() as s:
        email = s.scalar(select(Lead.email).where(Lead.email.is_not(None)).limit(1))
    fields = {"from": email, "subject": "Re", "text": "Danke, wir melden uns.",
              "headers": "Message-ID: <far@mail.example>\nDate: Fri, 31 Dec 9999 23:59:59 -1400\n"}
    r = requests.post(f"{served[0]}/webhooks/inbound", params={"secret": INBOUND}, timeout=30,
                      files={k: (None, v) for k, v in fields.items()})
    assert r.status_code == 200, r.text
