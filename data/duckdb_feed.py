"""What the DuckDB replica is fed from: the OLTP event log by seq, and the facts of the leads it names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import EventRecord, Lead

LEAD_CHUNK = 900  # bound parameters per IN list: well below SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    event_id: str
    source: str
    type: str
    subject: str | None
    time: datetime
    data: dict | None
    recorded_at: datetime


@dataclass(frozen=True)
class LeadFacts:
    owner_id: int | None
    team_id: int | None
    business_type: str | None
    estimated_volume: int | None


class SqlAlchemyEventFeed:
    """Reads in the caller's transaction (`tx.event_feed`)."""

    def __init__(self, session: Session):
        self.session = session

    def events_after(self, seq: int, limit: int) -> list[LoggedEvent]:
        """The next `limit` events of the log with a seq above `seq`, oldest first (primary key order)."""
        t = EventRecord.__table__  # Core: rows straight from the cursor, no ORM loading per row
        stmt = (select(t.c.seq, t.c.id, t.c.source, t.c.type, t.c.subject, t.c.time, t.c.data, t.c.recorded_at)
                .where(t.c.seq > seq).order_by(t.c.seq).limit(limit))
        return [LoggedEvent(*row) for row in self.session.connection().execute(stmt)]

    def lead_facts(self, lead_ids: set[int]) -> dict[int, LeadFacts]:
        """Owner, team, business type and volume of the given leads, in a few batched queries."""
        ids, found = sorted(lead_ids), {}
        for start in range(0, len(ids), LEAD_CHUNK):
            stmt = (select(Lead.id, Lead.owner_id, Lead.team_id, Lead.business_type, Lead.estimated_volume)
                    .where(Lead.id.in_(ids[start:start + LEAD_CHUNK])))
            for lead_id, *facts in self.session.execute(stmt):
                found[lead_id] = LeadFacts(*facts)
        return found
