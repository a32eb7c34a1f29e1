"""The Follow-ups page's work list: the follow-up steps of a scope, filtered, sorted and paged by the
database, with the totals of the whole filtered list, in one statement per page.

A row is a lead whose next step is planned (active) or whose follow-ups a person paused. Its step is
the one after its last (none yet: T+3; T+3: T+7; T+7: the call reminder). The due window narrows the
active steps only: a paused lead has no due time and shows whenever the state asks for paused ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from data.followup_models import FollowupPause
from data.grid_filters import GridWindow
from data.models import Lead, Team, User
from data.lead_search import lead_text_contains  # the Leads page's search, so both pages match alike
from data.repositories import scoped_to
from domain.model import Step
from domain.roles import Scope

LEADS, PAUSES, USERS, TEAMS = Lead.__table__, FollowupPause.__table__, User.__table__, Team.__table__
STATES = ("active", "paused", "all")
# The step a row waits for, by the lead's last step: what a filter by step compares with.
LAST_STEP_BEFORE = {Step.T3.value: None, Step.T7.value: Step.T3.value, Step.REMIND.value: Step.T7.value}
_IS_PAUSED = PAUSES.c.lead_id.is_not(None)
_STEP_ORDER = case((LEADS.c.last_followup_step.is_(None), 0), (LEADS.c.last_followup_step == Step.T3.value, 1), else_=2)
# Sort keys a caller may ask for, mapped to SQL expressions: never a caller's string in SQL.
WORKLIST_SORT = {
    "company": LEADS.c.company, "contact": LEADS.c.contact_name, "email": LEADS.c.email,
    "owner": USERS.c.display_name, "team": TEAMS.c.name, "step": _STEP_ORDER, "due_at": LEADS.c.next_followup_at,
    "status": LEADS.c.status, "state": None,  # overdue, planned, paused: depends on the query's `now`
}
NULLABLE_SORTS = frozenset({"contact", "email", "owner", "team", "due_at"})


@dataclass(frozen=True)
class WorklistQuery:
    scope: Scope
    now: datetime
    state: str = "active"
    due_before: datetime | None = None  # active steps due before this instant (None: whenever)
    overdue_only: bool = False  # active steps due at `now` or earlier
    step: str | None = None
    search: str = ""
    window: GridWindow = GridWindow(0, 50, (("due_at", False),))  # rows and order; its keys: WORKLIST_SORT


@dataclass(frozen=True)
class WorklistTotals:
    """Counts over the whole filtered list, not just the page."""

    total: int
    overdue: int
    paused: int


def _active(q: WorklistQuery):
    due = LEADS.c.next_followup_at
    conditions = [due.is_not(None), PAUSES.c.lead_id.is_(None)]
    if q.due_before is not None:
        conditions.append(due < q.due_before)
    if q.overdue_only:
        conditions.append(due <= q.now)
    return and_(*conditions)


def _narrowed(stmt, session: Session, q: WorklistQuery):
    """`stmt` (over leads left-joined to their pauses) narrowed to the list's rows."""
    stmt = stmt.where({"active": _active(q), "paused": _IS_PAUSED, "all": or_(_active(q), _IS_PAUSED)}[q.state])
    if q.step is not None:
        last = LAST_STEP_BEFORE[q.step]
        stmt = stmt.where(LEADS.c.last_followup_step.is_(None) if last is None else LEADS.c.last_followup_step == last)
    if q.search:
        stmt = stmt.where(lead_text_contains(session, q.search, (Lead.company, Lead.contact_name, Lead.email)))
    return scoped_to(stmt, q.scope)


def _totals(session: Session, q: WorklistQuery):
    """The counts of the whole list: an aggregate over the leads' index, without joins to name or sort."""
    overdue = and_(PAUSES.c.lead_id.is_(None), LEADS.c.next_followup_at <= q.now)
    stmt = select(func.count().label("total"), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0).label("overdue"),
                  func.coalesce(func.sum(case((_IS_PAUSED, 1), else_=0)), 0).label("paused"))
    return _narrowed(stmt.select_from(LEADS.outerjoin(PAUSES, PAUSES.c.lead_id == LEADS.c.id)), session, q).subquery("totals")


def _sort_keys(q: WorklistQuery) -> list[tuple]:
    """(expression, descending, may be NULL) of each sort key the window asks for."""
    keys = []
    for key, descending in q.window.sort:
        column = WORKLIST_SORT[key]
        if column is None:
            column = case((_IS_PAUSED, 2), (LEADS.c.next_followup_at <= q.now, 0), else_=1)
        # a planned step always has its time: without NULLS LAST the leads' index gives the order
        nullable = key in NULLABLE_SORTS and not (key == "due_at" and q.state == "active")
        keys.append((column, descending, nullable))
    return keys


def _ordered(columns: list, keys: list[tuple], tie) -> list:
    order = []
    for column, (_expr, descending, nullable) in zip(columns, keys):
        term = column.desc() if descending else column.asc()
        order.append(term.nulls_last() if nullable else term)
    return order + [tie]


def _page(session: Session, q: WorklistQuery):
    keys = _sort_keys(q)
    stmt = (select(LEADS.c.id.label("lead_id"), LEADS.c.company, LEADS.c.contact_name, LEADS.c.email, LEADS.c.status,
                   LEADS.c.last_followup_step, LEADS.c.next_followup_at, LEADS.c.timezone,
                   USERS.c.display_name.label("owner"), TEAMS.c.name.label("team"), PAUSES.c.paused_at,
                   *(expr.label(f"sort_{i}") for i, (expr, _d, _n) in enumerate(keys)))
            .select_from(LEADS.outerjoin(PAUSES, PAUSES.c.lead_id == LEADS.c.id)
                         .outerjoin(USERS, USERS.c.id == LEADS.c.owner_id).outerjoin(TEAMS, TEAMS.c.id == LEADS.c.team_id)))
    stmt = _narrowed(stmt, session, q).order_by(*_ordered([k[0] for k in keys], keys, LEADS.c.id.asc()))
    return stmt.offset(q.window.offset).limit(q.window.limit).subquery("page"), keys


def worklist_page(session: Session, q: WorklistQuery) -> tuple[list[dict], WorklistTotals]:
    """One page of the list and the totals of all of it, in one statement: the totals left-joined to
    the page, so they come back even for a page past the end."""
    totals = _totals(session, q)
    page, keys = _page(session, q)
    order = _ordered([page.c[f"sort_{i}"] for i in range(len(keys))], keys, page.c.lead_id)
    stmt = select(totals, page).select_from(totals.outerjoin(page, true())).order_by(*order)
    found = [dict(row) for row in session.execute(stmt).mappings()]
    first = found[0]
    return ([row for row in found if row["lead_id"] is not None],
            WorklistTotals(int(first["total"]), int(first["overdue"]), int(first["paused"])))


def in_scope_for_update(session: Session, lead_ids: list[int], scope: Scope) -> list[dict]:
    """The given leads that `scope` may touch, every column and whether they are paused, locked for this
    transaction on PostgreSQL (a follow-up run holding one is waited for, then its result is read)."""
    stmt = scoped_to(select(LEADS, _IS_PAUSED.label("paused"))
                     .select_from(LEADS.outerjoin(PAUSES, PAUSES.c.lead_id == LEADS.c.id))
                     .where(LEADS.c.id.in_(lead_ids)).order_by(LEADS.c.id), scope)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=LEADS)
    return [dict(row) for row in session.execute(stmt).mappings()]


__all__ = ["STATES", "WORKLIST_SORT", "WorklistQuery", "WorklistTotals", "worklist_page", "in_scope_for_update"]
