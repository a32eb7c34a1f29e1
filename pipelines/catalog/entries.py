"""Who produces and who consumes each event type. Schemas and meanings come from domain.events."""
from __future__ import annotations

from dataclasses import dataclass

from domain.events import EVENT_TYPES, EventType

EXTERNAL = "external systems via POST /api/events"
# Consumers by family; the names are those recorded in the inbox.
PRODUCERS = {
    "lead.registered": ["services.leads", EXTERNAL], "lead.sample_delivered": ["services.leads", EXTERNAL],
    "lead.created": ["lead-state (for each lead.registered from another system)"],
    "lead.status_changed": ["services.leads", "services.followups", "services.conversions"],
    "followup.scheduled": ["services.followups"], "followup.sent": ["services.followups"],
    "followup.skipped": ["services.followups"], "followup.failed": ["services.followups"],
    "followup.replied": ["services.replies", EXTERNAL], "followup.processed": ["services.followups"],
    "email.sent": ["mailer"], "email.bounced": ["mailer (provider webhooks)"],
    "email.opened": ["services.tracking (open pixel)"], "email.clicked": ["services.tracking (click links)"],
    "email.unsubscribed": ["mailer (unsubscribe link, provider webhooks)", "services.replies (unsubscribe replies)"],
    "customer.converted": ["services.conversions"], "customer.conversion_rejected": ["services.conversions"],
}
CONSUMERS = {
    "lead.registered": ["lead-state", "cockpit-feed", "analytics"],
    "lead.sample_delivered": ["lead-state", "cockpit-feed", "analytics"],
    "followup.replied": ["lead-state", "cockpit-feed", "analytics", "conversion"],
}
DEFAULT_CONSUMERS = ["cockpit-feed", "analytics"]


@dataclass(frozen=True)
class CatalogEntry:
    event: EventType
    producer: list[str]
    consumers: list[str]

    def as_json(self) -> dict:
        e = self.event
        return {"type": e.type, "version": e.version, "family": e.family, "meaning": e.meaning,
                "external": e.external, "producer": self.producer, "consumers": self.consumers, "schema": e.schema}


CATALOG: tuple[CatalogEntry, ...] = tuple(
    CatalogEntry(e, PRODUCERS[e.name], CONSUMERS.get(e.name, DEFAULT_CONSUMERS)) for e in EVENT_TYPES)


def catalog_json() -> list[dict]:
    return [entry.as_json() for entry in CATALOG]
