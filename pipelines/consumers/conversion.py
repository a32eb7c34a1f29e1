"""The conversion consumer: every followup.replied (from other systems or logged in the cockpit) is
classified and acted on: the review queue, suppression, the sequence kept for auto-replies, and the
conversion rules for positive answers (services.replies).

Registered after the lead-state consumer, which records the REPLY activity of an external reply
first. Redelivery changes nothing: the inbox entry is written in the same transaction, and a lead
has at most one customer (customers.original_lead_id is unique).
"""
from __future__ import annotations

from domain.cloudevents import CloudEvent
from domain.events import FOLLOWUP_REPLIED
from services.clock import Clock, utc_now
from services.conversions import ConversionSetup
from services.replies import handle_reply


class ConversionConsumer:
    name = "conversion"
    consumes = (FOLLOWUP_REPLIED,)  # the event catalog lists this consumer under these types

    def __init__(self, setup: ConversionSetup, clock: Clock = utc_now, history_sources: tuple[str, ...] = ()):
        """`history_sources`: sources whose events tell of replies already acted on (their customers
        exist), such as the demo's history app.py names: never converted or mailed again."""
        self.setup, self.clock, self.history_sources = setup, clock, history_sources

    def wants(self, event: CloudEvent) -> bool:
        return event.type in self.consumes and event.source not in self.history_sources

    def apply(self, tx, event: CloudEvent) -> None:
        handle_reply(tx, self.setup, event.source, event.id, event.data or {}, self.clock())
