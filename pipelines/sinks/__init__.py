"""External sinks: each takes one CloudEvent at a time and says whether to retry when it fails.

The relay queues one sink_deliveries row per sink when it marks an event; a SinkDispatcher per sink
sends them (pipelines/sinks/dispatcher.py), so a slow or dead endpoint never stalls the consumers.
"""
from __future__ import annotations

from typing import Protocol

from domain.cloudevents import CloudEvent


class SinkError(Exception):
    """A send failed. `retryable`: try again later (after `retry_after` seconds when the endpoint said so);
    otherwise the event can never be taken and becomes a dead letter at once."""

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retryable, self.retry_after = reason, retryable, retry_after


class Sink(Protocol):
    name: str

    def send(self, event: CloudEvent) -> None:
        """Return when the endpoint took the event; raise SinkError otherwise."""

    def close(self) -> None: ...
