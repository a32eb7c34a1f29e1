"""What the cockpit records when the email core settles a message: `email.sent`, and for a follow-up
mail that died, `followup.failed` - in the same transaction as the message's new state."""
from __future__ import annotations

from datetime import datetime

from domain.events import EMAIL_SENT, FOLLOWUP_FAILED
from mailer.api import MailOutcomes
from services.outbox import lead_subject, publish, publish_many

# The types logged here, by producer (read by pipelines.catalog): a dead follow-up mail fails its step.
PRODUCES = {"mailer": (EMAIL_SENT,), "followups": (FOLLOWUP_FAILED,)}


class PublishedMailOutcomes(MailOutcomes):
    def sent(self, tx, message, now: datetime) -> None:
        self.sent_many(tx, [message], now)

    def sent_many(self, tx, messages: list, now: datetime) -> None:
        """One `email.sent` per message, in one statement; a repeat of a logged one is skipped."""
        if messages:
            publish_many(tx, EMAIL_SENT, producer="mailer", items=[_sent_item(m, now) for m in messages])

    def dead(self, tx, message, now: datetime) -> None:
        step = (message.context or {}).get("followup_step")
        if step is None or message.lead_id is None:
            return  # only follow-up mails have a follow-up to fail; the message row keeps the reason
        publish(tx, FOLLOWUP_FAILED, producer="followups", subject=lead_subject(message.lead_id),
                data={"lead_id": message.lead_id, "step": step, "attempt": message.attempts,
                      "reason": f"mail undeliverable: {(message.last_error or 'unknown')[:400]}"},
                facts=(message.idempotency_key, "dead"), time=now)


def _sent_item(message, now: datetime) -> tuple:
    data = {"message_id": message.idempotency_key, "provider": message.provider or "unknown",
            "sent_at": (message.sent_at or now).isoformat()}
    if message.lead_id is not None:
        data["lead_id"] = message.lead_id
    data.update(_template_facts(message))
    return lead_subject(message.lead_id), data, (message.idempotency_key,), now


def _template_facts(message) -> dict:
    facts = {"template_id": message.template_id, "template_version": message.template_version,
             "variant": message.template_variant, "step": (message.context or {}).get("followup_step")}
    return {k: v for k, v in facts.items() if v is not None}
