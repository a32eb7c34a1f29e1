"""Opens and clicks of sent mail (DESIGN section 6): recorded once per message as `email.opened` and
`email.clicked` events, repeats counted. A token that was not signed with this installation's secret,
or a link number the stored mail does not have, records nothing.

How opens are counted, and the caveat: an open is the first load of the message's pixel. Mail clients
that block images never count; privacy proxies (Apple Mail, Gmail) may load it when the mail arrives,
without anyone reading. So opens are a lower bound for some readers and an upper bound for others:
the templates page decides winners by replies and conversions, never by opens.
"""
from __future__ import annotations

from dataclasses import dataclass

from data.models import EmailMessage
from domain.events import EMAIL_CLICKED, EMAIL_OPENED, STEPS
from mailer.tracking import tracked_links, tracking_token, verified_message_id
from services.clock import Clock, utc_now
from services.outbox import lead_subject, publish

PRODUCES = {"tracking": (EMAIL_OPENED, EMAIL_CLICKED)}  # read by pipelines.catalog


@dataclass(frozen=True)
class Tracking:
    """What the routes need: tracking on or off, and the secret the tokens are signed with."""

    enabled: bool
    secret: str


def token_for(tracking: Tracking, message_id: int) -> str:
    return tracking_token(message_id, tracking.secret)


def record_open(uow, tracking: Tracking, token: str, clock: Clock = utc_now) -> bool:
    """Count an open of the message the token names; True when it was a message of ours."""
    message_id = verified_message_id(token, tracking.secret) if tracking.enabled else None
    if message_id is None:
        return False
    with uow() as tx:
        message = tx.tracking.message(message_id)
        if message is None or message.status != "sent":
            return False
        _count(tx, message, "open", EMAIL_OPENED, {"opened_at": clock().isoformat()}, clock)
        tx.commit()
    return True


def follow_click(uow, tracking: Tracking, token: str, link: int, clock: Clock = utc_now) -> str | None:
    """The URL of link `link` in the message the token names (and the click counted), or None."""
    message_id = verified_message_id(token, tracking.secret) if tracking.enabled else None
    if message_id is None:
        return None
    with uow() as tx:
        message = tx.tracking.message(message_id)
        links = tracked_links(message.body_html) if message is not None else []
        if not 0 <= link < len(links):
            return None
        _count(tx, message, "click", EMAIL_CLICKED, {"clicked_at": clock().isoformat(), "link": link}, clock)
        tx.commit()
    return links[link]


def recent_sent(uow, limit: int = 20) -> list[int]:
    """The ids of the newest sent mails (the demo simulator's readers open some of them)."""
    with uow(write=False) as tx:
        return tx.tracking.recent_sent(limit)


def _count(tx, message: EmailMessage, kind: str, type_: str, data: dict, clock: Clock) -> None:
    now = clock()
    if tx.tracking.hit(message.id, kind, now) > 1:
        return  # a repeat: counted above, logged once
    template = tx.tracking.template(message.template_id) if message.template_id else None
    step = (message.context or {}).get("followup_step")
    facts = {"message_id": message.idempotency_key, "lead_id": message.lead_id,
             "template": template.kind if template else None, "template_version": message.template_version,
             "variant": message.template_variant, "step": step if step in STEPS else None}
    publish(tx, type_, producer="tracking", subject=lead_subject(message.lead_id), time=now,
            data={**{k: v for k, v in facts.items() if v is not None}, **data}, facts=(message.idempotency_key, kind))
