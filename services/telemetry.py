"""What the use cases report about their work, behind an interface: the services never import a
metrics library. app.py passes the Prometheus adapter (web/metrics.py); without one nothing is recorded.

Labels are bounded by design: steps, event types, consumer names and failure classes, never an
address, a name or an id.
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.followups import next_step
from domain.model import Step


class Telemetry(Protocol):
    def followup_run_finished(self, summary) -> None:
        """A run ended: `summary.counts` holds (step, outcome) -> leads, `summary.errors` (step, reason) -> n."""

    def event_published(self, type_: str) -> None:
        """The relay handed a logged event to the consumers and queued it for the sinks."""

    def event_consumed(self, type_: str, consumer: str) -> None:
        """A consumer applied an event and recorded it in its inbox."""

    def event_deduplicated(self, type_: str, consumer: str) -> None:
        """A repeat was recognised and changed nothing (an inbox hit, or `ingest` for the event API)."""


class NoTelemetry:
    """The default: records nothing."""

    def followup_run_finished(self, summary) -> None:
        pass

    def event_published(self, type_: str) -> None:
        pass

    def event_consumed(self, type_: str, consumer: str) -> None:
        pass

    def event_deduplicated(self, type_: str, consumer: str) -> None:
        pass


NO_TELEMETRY = NoTelemetry()
PENDING_STEPS = tuple(step.value for step in Step)
CONSUMERS = ("lead-state", "conversion")  # the relay's consumers (pipelines/consumers): always reported, 0 or more


def failure_class(reason: str) -> str:
    """The bounded label of a failure text such as "TemplateNotFound: no template SAMPLE_REQUEST/de"."""
    head = reason.split(":", 1)[0].strip()
    return head[:60] if head.isidentifier() else "other"


def pending_followups(uow) -> dict[str, int]:
    """Planned steps not yet handled, by the step that comes next (one indexed GROUP BY)."""
    pending = dict.fromkeys(PENDING_STEPS, 0)
    with uow(write=False) as tx:
        planned = tx.followups.planned_by_last_step()
    for last, count in planned.items():
        step = next_step(last)
        if step is not None:
            pending[step.value] = pending.get(step.value, 0) + count
    return pending


def outbox_lag_seconds(uow, now: datetime) -> float:
    """Age of the oldest event not yet delivered to the consumers; 0 when none waits (index on delivered_at, seq)."""
    with uow(write=False) as tx:
        oldest = tx.events.oldest_undelivered_at()
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def held_events_by_consumer(uow) -> dict[str, tuple[int, int]]:
    """Per consumer: (parked, held in all) events it has not applied (one GROUP BY over pending rows)."""
    with uow(write=False) as tx:
        counts = tx.held_events.counts()
    return {consumer: counts.get(consumer, (0, 0)) for consumer in (*CONSUMERS, *sorted(set(counts) - set(CONSUMERS)))}
