"""The leads grid: one page of the leads in a scope, searched, filtered, sorted, and counted, in one
read transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from data.grid_filters import GridWindow, condition, id_among
from data.models import Lead, User
from data.lead_search import count_matches, lead_text_contains
from data.repositories import scoped_to
from domain.model import CLOSED_STATUSES, Step
from domain.roles import Scope

_OWNER = aliased(User)
# The follow-up column is a label (domain.model.followup_state), not a column: it sorts in the
# sequence's order, awaiting T+3, T+3 sent, T+7 sent, closed.
_FOLLOWUP_ORDER = case((Lead.status.in_([s.value for s in CLOSED_STATUSES]), 3),
                       (Lead.last_followup_step == Step.T7.value, 2),
                       (Lead.last_followup_step == Step.T3.value, 1), else_=0)
# Columns a caller may sort or filter by, mapped to SQL expressions: a caller's string never becomes SQL.
# The owner sorts by the name the grid shows, the follow-up by its place in the sequence.
LEAD_SORT_COLUMNS = {
    "company": Lead.company, "contact_name": Lead.contact_name, "city": Lead.city,
    "business_type": Lead.business_type, "status": Lead.status, "followup": _FOLLOWUP_ORDER, "score": Lead.score,
    "registered_at": Lead.registered_at, "next_followup_at": Lead.next_followup_at, "owner": _OWNER.display_name,
    "id": Lead.id,
}


SEARCHED = (Lead.company, Lead.contact_name, Lead.email, Lead.city)  # the search box's columns
SEARCH_WALKS_FROM = 1000  # matches from which a search's page walks the leads in order (data/lead_search.py)


@dataclass(frozen=True)
class LeadQuery:
    scope: Scope
    search: str = ""
    status: str | None = None
    business_type: str | None = None
    lead_ids: tuple[int, ...] | None = None  # a drill-down's leads; None: no such narrowing
    window: GridWindow = field(default_factory=lambda: GridWindow(sort=(("registered_at", True),)))


def _conditions(session: Session, q: LeadQuery, many: bool = False) -> list:
    """`many`: a search matching many leads, for one page of them (data/lead_search.py)."""
    found = []
    if q.search:
        found.append(lead_text_contains(session, q.search, SEARCHED, walked_in_order=many))
    if q.status:
        found.append(Lead.status == q.status)
    if q.business_type:
        found.append(Lead.business_type == q.business_type)
    if q.lead_ids is not None:
        found.append(id_among(session, Lead.id, q.lead_ids))
    return found + [condition(session, LEAD_SORT_COLUMNS[f.column], f) for f in q.window.filters]


class SqlAlchemyLeadGrid:
    def __init__(self, session: Session):
        self.session = session

    def _order(self, q: LeadQuery) -> list:
        keys = [LEAD_SORT_COLUMNS[col].desc() if desc else LEAD_SORT_COLUMNS[col].asc() for col, desc in q.window.sort]
        return keys + [Lead.id.desc()]

    def _owned(self, stmt, q: LeadQuery):
        """The owner's name joined where it is sorted by: the leads grid sorts by the name it shows."""
        if any(col == "owner" for col, _desc in q.window.sort):
            stmt = stmt.outerjoin(_OWNER, _OWNER.id == Lead.owner_id)
        return stmt

    def stream(self, q: LeadQuery, batch: int = 2000) -> Iterator[tuple[Lead, str | None]]:
        """Every matching lead in the window's order (an export), fetched `batch` rows at a time."""
        stmt = (scoped_to(select(Lead, _OWNER.display_name), q.scope).outerjoin(_OWNER, _OWNER.id == Lead.owner_id)
                .where(*_conditions(self.session, q)).order_by(*self._order(q)).execution_options(yield_per=batch))
        for lead, owner in self.session.execute(stmt):
            yield lead, owner
            self.session.expunge(lead)  # memory stays flat however many leads pass

    def _count(self, q: LeadQuery, where: list) -> int:
        """A search of every lead with nothing else to check is counted in the search index alone."""
        if q.search and len(where) == 1 and q.scope.everything:
            found = count_matches(self.session, q.search, SEARCHED)
            if found is not None:
                return found
        return int(self.session.scalar(scoped_to(select(func.count()).select_from(Lead), q.scope).where(*where)) or 0)

    def page(self, q: LeadQuery) -> tuple[list[tuple[Lead, str | None]], int]:
        """(lead, owner's display name) of the window, and how many leads match in all. The count comes
        first: it decides how a search finds its page. The window's ids are sorted first on their own
        (narrow rows sort about three times faster), then joined."""
        where, order = _conditions(self.session, q), self._order(q)
        total = self._count(q, where)
        if total <= q.window.offset:
            return [], total
        many = bool(q.search) and total > SEARCH_WALKS_FROM
        window = self._owned(scoped_to(select(Lead.id), q.scope), q).where(*_conditions(self.session, q, many))
        window = window.order_by(*order).offset(q.window.offset).limit(q.window.limit).subquery()
        stmt = (select(Lead, _OWNER.display_name).join(window, window.c.id == Lead.id)
                .outerjoin(_OWNER, _OWNER.id == Lead.owner_id).order_by(*order))
        return [(lead, owner) for lead, owner in self.session.execute(stmt).all()], total
