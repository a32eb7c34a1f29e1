"""OLTP reads and writes of the analytics pages: ROI assumptions, and lead rows streamed for export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data.analytics_models import AnalyticsAssumption
from data.models import Lead, Team, User
from domain.roles import Scope

# Export columns a caller may sort leads by: never format a caller's string into SQL.
LEAD_EXPORT_SORT = {"id": Lead.id, "company": Lead.company, "business_type": Lead.business_type,
                    "status": Lead.status, "score": Lead.score, "registered_at": Lead.registered_at,
                    "city": Lead.city}
LEAD_EXPORT_COLUMNS = ("id", "company", "contact_name", "email", "city", "business_type", "status", "score",
                       "estimated_volume", "owner", "team", "registered_at", "sample_delivered_at")


@dataclass(frozen=True)
class LeadExportQuery:
    scope: Scope
    since: datetime
    until: datetime
    business_type: str | None = None
    sort_by: str = "registered_at"
    descending: bool = True


class SqlAlchemyAnalytics:
    def __init__(self, session: Session):
        self.session = session

    def assumptions(self) -> dict[str, float]:
        return {row.key: row.value for row in self.session.scalars(select(AnalyticsAssumption))}

    def set_assumption(self, key: str, value: float, user_id: int | None, now: datetime) -> None:
        row = self.session.get(AnalyticsAssumption, key)
        if row is None:
            self.session.add(AnalyticsAssumption(key=key, value=value, updated_by=user_id, updated_at=now))
        else:
            row.value, row.updated_by, row.updated_at = value, user_id, now

    def lead_rows(self, q: LeadExportQuery, batch: int = 2000) -> Iterator[tuple]:
        """The leads in scope registered in [since, until), as LEAD_EXPORT_COLUMNS tuples, fetched in batches."""
        owner = aliased(User)
        stmt = (select(Lead.id, Lead.company, Lead.contact_name, Lead.email, Lead.city, Lead.business_type, Lead.status,
                       Lead.score, Lead.estimated_volume, owner.username, Team.name, Lead.registered_at,
                       Lead.sample_delivered_at)
                .outerjoin(owner, owner.id == Lead.owner_id).outerjoin(Team, Team.id == Lead.team_id)
                .where(Lead.registered_at >= q.since, Lead.registered_at < q.until))
        if q.scope.user_id is not None:
            stmt = stmt.where(Lead.owner_id == q.scope.user_id)
        if q.scope.team_id is not None:
            stmt = stmt.where(Lead.team_id == q.scope.team_id)
        if q.business_type:
            stmt = stmt.where(Lead.business_type == q.business_type)
        column = LEAD_EXPORT_SORT[q.sort_by]
        stmt = stmt.order_by(column.desc() if q.descending else column.asc(), Lead.id)
        for row in self.session.execute(stmt.execution_options(yield_per=batch)):
            yield tuple(row)
