"""Who consumes each event type, read from the consumers themselves.

The relay's consumers declare the types they apply (`consumes`); RELAY_CONSUMERS lists them in the
order app.py hands them to the relay (tests/unit/test_event_vocabulary.py compares the two). The
analytics projection reads every type, and every configured sink is sent every type.
"""
from __future__ import annotations

from pipelines.consumers.conversion import ConversionConsumer
from pipelines.consumers.lead_state import LeadStateConsumer
from pipelines.sinks.nats import NatsSink
from pipelines.sinks.webhook import WebhookSink

RELAY_CONSUMERS = (LeadStateConsumer, ConversionConsumer)
ANALYTICS = "analytics-projection"  # pipelines.analytics_projection: the analytics pages and the live cockpit
SINKS = tuple(sink.name for sink in (WebhookSink, NatsSink))


def consumer_names(type_: str) -> list[str]:
    relay = [consumer.name for consumer in RELAY_CONSUMERS if type_ in consumer.consumes]
    return relay + [ANALYTICS, f"sinks when configured ({', '.join(SINKS)})"]
