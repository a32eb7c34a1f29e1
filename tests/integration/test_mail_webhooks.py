"""Provider webhooks over HTTP: SES (via SNS) bounces and complaints, SendGrid batches with repeated
events, the shared secret and SendGrid's signature, malformed bodies. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from data.models import EventRecord, InboxEntry, Lead, Suppression
from tests.conftest import LiveServer, fresh_pg_database, make_settings, shutdown

SES_SECRET, SG_SECRET = "ses-secret-0123456789", "sg-secret-0123456789"
SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(SIGNING_KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def start(tmp_path, **overrides):
    from app import create_app

    app = create_app(make_settings(tmp_path, ses_webhook_secret=SES_SECRET, sendgrid_webhook_secret=SG_SECRET,
                                   relay_enabled=False, **overrides))
    return LiveServer(app), app


@pytest.fixture(scope="module")
def module_pg_url():
    """One PostgreSQL database for the module (the pg_url fixture is per test)."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory):
    overrides = {"database_url": request.getfixturevalue("module_pg_url")} if request.param == "postgres" else {}
    live, app = start(tmp_path_factory.mktemp("webhooks"), **overrides)
    yield live.url, app.extensions["cockpit"].uow.session_factory
    live.close()
    shutdown(app)


# What provider feedback may log; the demo's history also holds email.sent events.
FEEDBACK_TYPES = ("com.freshplan.email.bounced.v1", "com.freshplan.email.unsubscribed.v1")


def facts(db) -> dict:
    with db() as s:
        return {"suppressed": dict(s.execute(select(Suppression.email, Suppression.reason)).all()),
                "events": sorted((e.type.split(".")[3], e.data["email"]) for e in s.scalars(
                    select(EventRecord).where(EventRecord.type.in_(FEEDBACK_TYPES)))),
                "inbox": s.scalar(select(func.count()).select_from(InboxEntry).where(InboxEntry.consumer.like("%-webhook")))}


def consenting_lead(db) -> tuple[int, str]:
    with db() as s:
        lead = s.scalar(select(Lead).where(Lead.email_consent.is_(True)).order_by(Lead.id.desc()).limit(1))
        return lead.id, lead.email


def unique(local: str) -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@mail.example"


def sns(notification: dict, message_id: str | None = None) -> str:
    return json.dumps({"Type": "Notification", "MessageId": message_id or str(uuid.uuid4()),
                       "TopicArn": "arn:aws:sns:eu-central-1:123:ses", "Message": json.dumps(notification)})


def bounce(email: str, kind: str = "Permanent") -> dict:
    return {"notificationType": "Bounce", "mail": {"messageId": "ses-1"},
            "bounce": {"bounceType": kind, "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": email}]}}


def post_ses(url, body, secret=SES_SECRET):
    return requests.post(f"{url}/webhooks/ses", params={"secret": secret} if secret else None, data=body,
                         headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"})


def test_ses_hard_bounce_suppresses_once_and_a_redelivery_changes_nothing(server):
    url, db = server
    gone = unique("Gone")
    body = sns(bounce(gone))
    first = post_ses(url, body)
    assert first.status_code == 200 and first.json() == {"applied": 1, "duplicates": 0}
    after = facts(db)
    assert after["suppressed"][gone.lower()] == "bounce"
    assert ("bounced", gone.lower()) in after["events"]
    again = post_ses(url, body)
    assert again.status_code == 200 and again.json() == {"applied": 0, "duplicates": 1}
    assert facts(db) == after


def test_ses_soft_bounce_and_delivery_suppress_nothing(server):
    url, db = server
    before = facts(db)
    assert post_ses(url, sns(bounce("busy@full.example", kind="Transient"))).status_code == 200
    assert post_ses(url, sns({"notificationType": "Delivery", "mail": {"messageId": "m"}})).status_code == 200
    after = facts(db)
    assert after["suppressed"] == before["suppressed"] and after["events"] == before["events"]


def test_ses_complaint_suppresses_and_withdraws_consent(server):
    url, db = server
    lead_id, email = consenting_lead(db)
    complaint = {"notificationType": "Complaint", "mail": {"messageId": "ses-2"},
                 "complaint": {"complaintFeedbackType": "abuse", "complainedRecipients": [{"emailAddress": email}]}}
    assert post_ses(url, sns(complaint)).status_code == 200
    after = facts(db)
    assert after["suppressed"][email.lower()] == "complaint" and ("unsubscribed", email.lower()) in after["events"]
    with db() as s:
        assert s.get(Lead, lead_id).email_consent is False


def test_ses_subscription_confirmation_is_logged_not_applied(server):
    url, db = server
    before = facts(db)
    body = json.dumps({"Type": "SubscriptionConfirmation", "MessageId": "c1", "SubscribeURL": "https://sns.example/x"})
    assert post_ses(url, body).status_code == 200 and facts(db) == before


def test_ses_without_or_with_a_wrong_secret_is_refused(server):
    url, db = server
    before = facts(db)
    assert post_ses(url, sns(bounce("x@y.example")), secret=None).status_code == 401
    assert post_ses(url, sns(bounce("x@y.example")), secret="wrong").status_code == 403
    assert facts(db) == before


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"Type": "Notification", "MessageId": "m"}),
                                  json.dumps({"Type": "Notification", "MessageId": "m", "Message": "{broken"}),
                                  sns({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}}),
                                  sns(bounce("not-an-address"))])
def test_malformed_ses_bodies_get_400_problems(server, body):
    url, db = server
    before = facts(db)
    answer = post_ses(url, body)
    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/problem+json"
    assert facts(db) == before


def sg_event(event: str, email: str, event_id: str, **extra) -> dict:
    return {"email": email, "timestamp": 1764400000, "event": event, "sg_event_id": event_id,
            "sg_message_id": "sg-msg-1", **extra}


def post_sg(url, events, headers=None, secret=SG_SECRET):
    return requests.post(f"{url}/webhooks/sendgrid", params={"secret": secret} if secret else None,
                         data=json.dumps(events), headers={"Content-Type": "application/json", **(headers or {})})


def test_sendgrid_batch_with_a_repeated_event_applies_each_event_once(server):
    url, db = server
    _lead_id, email = consenting_lead(db)
    dead, blocked, ok = unique("dead"), unique("blocked"), unique("ok")
    ids = [uuid.uuid4().hex for _ in range(4)]
    batch = [sg_event("bounce", dead, ids[0], type="bounce", reason="550 no such user"),
             sg_event("bounce", blocked, ids[1], type="blocked"),
             sg_event("spamreport", email, ids[2]), sg_event("delivered", ok, ids[3]),
             sg_event("bounce", dead, ids[0], type="bounce")]
    before = facts(db)
    first = post_sg(url, batch)
    assert first.status_code == 200 and first.json() == {"applied": 4, "duplicates": 1}
    after = facts(db)
    assert set(after["suppressed"]) - set(before["suppressed"]) == {dead, email.lower()}
    assert after["suppressed"][dead] == "bounce" and after["suppressed"][email.lower()] == "complaint"
    assert sorted(set(after["events"]) - set(before["events"])) == [("bounced", dead), ("unsubscribed", email.lower())]
    assert after["inbox"] - before["inbox"] == 4
    repeat = post_sg(url, batch)  # SendGrid retries whole batches
    assert repeat.json() == {"applied": 0, "duplicates": 5} and facts(db) == after


def test_malformed_sendgrid_batch_is_refused_whole(server):
    url, db = server
    before = facts(db)
    for body in ([sg_event("bounce", unique("a"), "ok1", type="bounce"), {"event": "bounce", "email": unique("c")}],
                 {"event": "bounce"}, [sg_event("bounce", "no-at-sign", "x1")]):
        answer = post_sg(url, body)
        assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/problem+json"
    assert facts(db) == before


def test_sendgrid_wrong_secret_is_refused(server):
    url, db = server
    before = facts(db)
    assert post_sg(url, [sg_event("bounce", unique("a"), "s1", type="bounce")], secret="nope").status_code == 403
    assert post_sg(url, [sg_event("bounce", unique("a"), "s1", type="bounce")], secret=None).status_code == 401
    assert facts(db) == before


def signed(events: list, timestamp: str = "1764400000") -> tuple[bytes, dict]:
    body = json.dumps(events).encode()
    signature = SIGNING_KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return body, {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                  "X-Twilio-Email-Event-Webhook-Timestamp": timestamp, "Content-Type": "application/json"}


def test_sendgrid_signed_event_webhook(tmp_path):
    live, app = start(tmp_path, sendgrid_webhook_public_key=PUBLIC_KEY)
    try:
        body, headers = signed([sg_event("bounce", "signed@mail.example", "sig1", type="bounce")])
        hook = f"{live.url}/webhooks/sendgrid"
        assert requests.post(hook, data=body.replace(b"signed@", b"other@"), headers=headers).status_code == 403
        assert requests.post(hook, data=body, params={"secret": SG_SECRET}).status_code == 401  # the key rules
        assert requests.post(hook, data=body, headers=headers).json() == {"applied": 1, "duplicates": 0}
        assert facts(app.extensions["cockpit"].uow.session_factory)["suppressed"] == {"signed@mail.example": "bounce"}
    finally:
        live.close()
        shutdown(app)


def test_concurrent_redeliveries_of_one_batch_apply_it_once(server):
    url, db = server
    batch = [sg_event("bounce", unique("race"), uuid.uuid4().hex, type="bounce") for _ in range(3)]
    before = facts(db)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: post_sg(url, batch), range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert sum(a.json()["applied"] for a in answers) == 3
    after = facts(db)
    assert len(after["suppressed"]) - len(before["suppressed"]) == 3 and after["inbox"] - before["inbox"] == 3
