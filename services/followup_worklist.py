"""The Follow-ups page's work list: the follow-up steps in the caller's scope, filtered, sorted and paged
by the database (one statement per page), the owners and teams the caller may filter by, and the
list as CSV. The scope is decided here, never by the page: a filter for a team or an owner outside
the caller's reach narrows to what they may see (services.scopes)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from data.followup_worklist import STATES, WORKLIST_SORT, WorklistQuery, WorklistTotals
from data.grid_filters import GridWindow
from domain.followups import next_step
from domain.roles import Actor, Forbidden, Page, Role, may_edit_leads, may_export, require, sees_lead_rows
from services.clock import Clock, utc_now
from services.exports import csv_chunks, csv_header
from services.followups import SENDERS, period_end
from services.grid_requests import GridColumns
from services.leads import owner_choices
from services.scopes import caller_scope

log = logging.getLogger("cockpit.export")
WINDOWS = ("overdue", "today", "week", "all")
STEPS = ("T3", "T7", "REMIND")
# What the grid may send: it sorts by any of the list's columns and filters none (the page's filters do).
WORKLIST_COLUMNS = GridColumns(sortable=frozenset(WORKLIST_SORT), filterable={}, default_sort=(("due_at", False),))
FIRST_PAGE = GridWindow(0, 50, WORKLIST_COLUMNS.default_sort)
MAX_BLOCK = 500  # rows one page request may ask for
EXPORT_LIMIT = 50_000  # rows in one CSV download (the response is built whole)
CSV_COLUMNS = ("lead_id", "company", "contact", "email", "owner", "team", "step", "state", "due_at", "timezone",
               "status")


@dataclass(frozen=True)
class WorklistFilters:
    search: str = ""
    step: str | None = None
    state: str = "active"
    window: str = "week"
    team_id: int | None = None
    owner_id: int | None = None

    def checked(self) -> "WorklistFilters":
        """The filters, or ValueError naming the first that is not one the page offers."""
        for name, value, allowed in (("step", self.step, STEPS + (None,)), ("state", self.state, STATES),
                                     ("window", self.window, WINDOWS)):
            if value not in allowed:
                raise ValueError(f"{name} {value!r} is not one of {', '.join(map(str, allowed))}")
        return replace(self, search=(self.search or "").strip()[:100])


@dataclass(frozen=True)
class WorklistPage:
    rows: list[dict]
    totals: WorklistTotals  # of the whole filtered list


def _readable(actor: Actor) -> None:
    require(actor, Page.FOLLOWUPS)
    if not sees_lead_rows(actor):
        raise Forbidden.for_role(actor, "open individual leads")


def _query(tx, actor: Actor, filters: WorklistFilters, now: datetime, window: GridWindow) -> WorklistQuery:
    scope = caller_scope(tx, actor, filters.team_id, filters.owner_id)
    due_before = period_end(filters.window, now) if filters.window in ("today", "week") else None
    return WorklistQuery(scope=scope, now=now, state=filters.state, due_before=due_before,
                         overdue_only=filters.window == "overdue", step=filters.step, search=filters.search, window=window)


def _row(row: dict, now: datetime) -> dict:
    step = next_step(row["last_followup_step"])
    due = row["next_followup_at"]
    state = "paused" if row["paused_at"] is not None else ("overdue" if due <= now else "planned")
    return {"lead_id": row["lead_id"], "company": row["company"], "contact": row["contact_name"] or "",
            "email": row["email"] or "", "owner": row["owner"] or "—", "team": row["team"] or "—",
            "step": step.value if step else None, "state": state, "due_at": due.isoformat() if due else None,
            "timezone": row["timezone"], "status": row["status"]}


def _fetch(uow, actor: Actor, filters: WorklistFilters, window: GridWindow, clock: Clock) -> WorklistPage:
    if window.filters or not all(key in WORKLIST_SORT for key, _desc in window.sort):
        raise ValueError(f"sort by {', '.join(WORKLIST_SORT)}; the list has no column filters")
    filters, now = filters.checked(), clock()
    with uow(write=False) as tx:
        rows, totals = tx.followups.worklist(_query(tx, actor, filters, now, window))
    return WorklistPage([_row(r, now) for r in rows], totals)


def worklist_page(uow, actor: Actor, filters: WorklistFilters, window: GridWindow = FIRST_PAGE,
                  clock: Clock = utc_now) -> WorklistPage:
    """The rows of `window` (a page of the grid, in its order) of the list in the caller's scope, and
    the totals of the whole list."""
    _readable(actor)
    if not 0 < window.limit <= MAX_BLOCK:
        raise ValueError(f"ask for 1 to {MAX_BLOCK} rows at a time")
    return _fetch(uow, actor, filters, window, clock)


def worklist_options(uow, actor: Actor) -> dict:
    """What the caller may filter by and do: owners and teams (none for sales), and the actions."""
    _readable(actor)
    owners = owner_choices(uow, actor)
    teams = []
    if actor.role in (Role.ADMIN, Role.ANALYST):
        with uow(write=False) as tx:
            teams = [(t.id, t.name) for t in tx.users.teams()]
    return {"owners": owners, "teams": teams, "may_change": may_edit_leads(actor),
            "may_send": actor.role in SENDERS, "may_export": may_export(actor), "may_run": actor.role == Role.ADMIN}


def worklist_csv(uow, actor: Actor, filters: WorklistFilters, window: GridWindow = FIRST_PAGE,
                 clock: Clock = utc_now) -> tuple[str, str, int]:
    """(file name, CSV text, rows) of the filtered list in the caller's scope, its first EXPORT_LIMIT
    rows in the grid's order (`window`'s rows aside); text cells that a spreadsheet would run as formulas
    are neutralised (services.exports)."""
    _readable(actor)
    if not may_export(actor):
        raise Forbidden.for_role(actor, "download exports")
    page = _fetch(uow, actor, filters, replace(window, offset=0, limit=EXPORT_LIMIT), clock)
    body = "".join(text for text, _n in csv_chunks(iter([tuple(r[c] for c in CSV_COLUMNS) for r in page.rows])))
    log.info("export user=%s role=%s table=followups filters=%s rows=%d", actor.username, actor.role.value,
             filters, len(page.rows))
    return f"followups-{filters.window}.csv", csv_header(CSV_COLUMNS) + body, len(page.rows)


__all__ = ["WINDOWS", "STEPS", "WORKLIST_COLUMNS", "WorklistFilters", "WorklistPage", "worklist_page", "worklist_options",
           "worklist_csv"]
