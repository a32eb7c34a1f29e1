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
from services.demo_history import HISTORY_SOURCE
from services.replies import handle_reply


class ConversionConsumer:
    name = "conversion"
    consumes = (FOLLOWUP_REPLIED,)  # the event catalog lists this consumer under these types

    def __init__(self, setup: ConversionSetup, clock: Clock = utc_now):
        self.setup, self.clock = setup, clock

    def wants(self, event: CloudEvent) -> bool:
        # The demo's history tells of replies already acted on (its customers exist): never convert or mail again.
        return event.type in self.consumes and event.source != HISTORY_SOURCE

    def apply(self, tx, event: CloudEvent) -> None:
        handle_reply(tx, self.setup, event.source, event.id, event.data or {}, self.clock())
