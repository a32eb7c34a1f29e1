"""Reading the event log, newest first, for operations and tests."""
from __future__ import annotations

from datetime import datetime

from domain.cloudevents import CloudEvent
from services.outbox import from_record


def newest_events(uow, type_: str | None, subject: str | None, since: datetime | None, limit: int) -> list[CloudEvent]:
    with uow(write=False) as tx:
        return [from_record(r) for r in tx.events.newest(type_, subject, since, limit)]
