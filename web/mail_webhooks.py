"""Provider webhooks: POST /webhooks/ses (SNS notifications) and POST /webhooks/sendgrid (event webhook).

Machine-to-machine, so no session and no CSRF token (app.py exempts the blueprint): SES proves itself
with a shared secret in the URL (`?secret=`) or the `X-Webhook-Secret` header; SendGrid with its
signed event webhook (ECDSA P-256 over timestamp + body) when a public key is configured, else with a
shared secret. A malformed body is refused whole with 400 before anything is applied.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, jsonify, request

from domain.cloudevents import MAX_DEPTH, nests_deeper
from services.mail_feedback import BOUNCE, COMPLAINT, OTHER, UNSUBSCRIBE, ProviderEvent, apply_provider_events
from components.request_context import deps
from web.problem import problem

bp = Blueprint("mail_webhooks", __name__)
log = logging.getLogger("cockpit.mail")
SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
SENDGRID_KINDS = {"spamreport": COMPLAINT, "unsubscribe": UNSUBSCRIBE, "group_unsubscribe": UNSUBSCRIBE}


class Malformed(ValueError):
    """The body is not what the provider sends; the message names what is wrong."""


def shared_secret_problem(expected: str, setting: str):
    if not expected:
        return problem(403, "Forbidden", f"This webhook is not configured ({setting} is not set).")
    given = request.args.get("secret") or request.headers.get("X-Webhook-Secret") or ""
    if not given:
        return problem(401, "Unauthorized", "Send the shared secret as ?secret= or X-Webhook-Secret.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return problem(403, "Forbidden", "The shared secret does not match.")
    return None


def _json(text: str | bytes, where: str):
    """Parsed JSON, refusing nesting past MAX_DEPTH before the (recursive) parser can overflow its stack."""
    try:
        text = text.decode() if isinstance(text, bytes) else text
    except UnicodeDecodeError:
        raise Malformed(f"{where} is not UTF-8") from None
    if nests_deeper(text, MAX_DEPTH):
        raise Malformed(f"{where} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text or "")
    except ValueError:
        raise Malformed(f"{where} is not JSON") from None


def _json_body():
    return _json(request.get_data(), "the body")


def _address(value, where: str) -> str:
    if not isinstance(value, str) or "@" not in value or len(value) > 254:
        raise Malformed(f"{where} is not an email address")
    return value


def _text(body: dict, key: str, where: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise Malformed(f"{where}.{key} is missing or not a string")
    return value


def _optional_text(body: dict, key: str, where: str) -> str | None:
    """A provider's message id: absent or null is no id, anything but a short string is refused."""
    return None if body.get(key) is None else _text(body, key, where)


# --- SES via SNS --------------------------------------------------------------------------------
def _ses_recipients(message: dict) -> tuple[str, str, list]:
    """(kind, detail, recipients) of an SES notification; SES writes notificationType or eventType."""
    what = message.get("notificationType") or message.get("eventType")
    if what == "Bounce":
        bounce = message.get("bounce") or {}
        permanent = bounce.get("bounceType") == "Permanent"
        return (BOUNCE if permanent else OTHER, str(bounce.get("bounceSubType") or bounce.get("bounceType")),
                [r.get("emailAddress") for r in bounce.get("bouncedRecipients") or [] if isinstance(r, dict)])
    if what == "Complaint":
        complaint = message.get("complaint") or {}
        return (COMPLAINT, str(complaint.get("complaintFeedbackType") or "complaint"),
                [r.get("emailAddress") for r in complaint.get("complainedRecipients") or [] if isinstance(r, dict)])
    if isinstance(what, str):
        return OTHER, what, []
    raise Malformed("Message has neither notificationType nor eventType")


def _ses_events(envelope: dict) -> list[ProviderEvent]:
    message_id = _text(envelope, "MessageId", "body")
    if not isinstance(envelope.get("Message"), str):
        raise Malformed("body.Message is missing or not a string")
    message = _json(envelope["Message"], "body.Message")
    if not isinstance(message, dict):
        raise Malformed("body.Message is not a JSON object")
    kind, detail, recipients = _ses_recipients(message)
    mail = message.get("mail")
    mail_id = _optional_text(mail, "messageId", "body.Message.mail") if isinstance(mail, dict) else None
    if kind == OTHER:
        return [ProviderEvent(message_id, OTHER, "", detail, mail_id)]
    if not recipients:
        raise Malformed(f"the {detail} notification names no recipient")
    return [ProviderEvent(message_id if i == 0 else f"{message_id}#{i}", kind, _address(r, "recipient"), detail, mail_id)
            for i, r in enumerate(recipients)]


@bp.post("/webhooks/ses")
def ses():
    refused = shared_secret_problem(deps().settings.ses_webhook_secret, "SES_WEBHOOK_SECRET")
    if refused:
        return refused
    try:
        envelope = _json_body()
        if not isinstance(envelope, dict):
            raise Malformed("the body is not a JSON object")
        kind = envelope.get("Type") or request.headers.get("x-amz-sns-message-type")
        if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            log.warning("SNS %s for topic %s: confirm it at %s", kind, envelope.get("TopicArn"), envelope.get("SubscribeURL"))
            return jsonify({"result": "logged"}), 200
        if kind != "Notification":
            raise Malformed(f"unknown SNS message type {kind!r}")
        events = _ses_events(envelope)
    except Malformed as exc:
        return problem(400, "Malformed notification", str(exc))
    return _apply("ses-webhook", "sns", events)


# --- SendGrid event webhook ---------------------------------------------------------------------
def _public_key(text: str) -> ec.EllipticCurvePublicKey:
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode())
    return serialization.load_der_public_key(base64.b64decode(text))


def _sendgrid_auth_problem():
    settings = deps().settings
    if not settings.sendgrid_webhook_public_key:
        return shared_secret_problem(settings.sendgrid_webhook_secret, "SENDGRID_WEBHOOK_SECRET")
    signature, timestamp = request.headers.get(SIGNATURE), request.headers.get(TIMESTAMP)
    if not signature or not timestamp:
        return problem(401, "Unauthorized", f"Send the signed event webhook headers {SIGNATURE} and {TIMESTAMP}.")
    try:
        _public_key(settings.sendgrid_webhook_public_key).verify(
            base64.b64decode(signature), timestamp.encode() + request.get_data(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        return problem(403, "Forbidden", "The event webhook signature does not match.")
    return None


def _sendgrid_event(item, i: int) -> ProviderEvent:
    if not isinstance(item, dict):
        raise Malformed(f"body[{i}] is not an object")
    name, event_id = _text(item, "event", f"body[{i}]"), _text(item, "sg_event_id", f"body[{i}]")
    kind = SENDGRID_KINDS.get(name, OTHER)
    if name == "bounce" and item.get("type") != "blocked":  # "blocked" is a temporary refusal, not a bad address
        kind = BOUNCE
    email = _address(item.get("email"), f"body[{i}].email")
    detail = str(item.get("reason") or item.get("type") or name)[:500]
    return ProviderEvent(event_id, kind, email, detail, _optional_text(item, "sg_message_id", f"body[{i}]"))


@bp.post("/webhooks/sendgrid")
def sendgrid():
    refused = _sendgrid_auth_problem()
    if refused:
        return refused
    try:
        body = _json_body()
        if not isinstance(body, list):
            raise Malformed("the body is not a JSON array of events")
        events = [_sendgrid_event(item, i) for i, item in enumerate(body)]
    except Malformed as exc:
        return problem(400, "Malformed event batch", str(exc))
    return _apply("sendgrid-webhook", "sendgrid", events)


def _apply(consumer: str, source: str, events: list[ProviderEvent]):
    d = deps()
    result = apply_provider_events(d.uow, consumer, source, events, clock=d.clock)
    return jsonify({"applied": result.applied, "duplicates": result.duplicates}), 200
