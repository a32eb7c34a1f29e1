"""CSV downloads of the server-side grids (the leads, the conversion decisions, the event log) as they
show: the page's own filters, the grid's order and column filters, every row (not only the page on
screen). Streamed and neutralised like the other exports (services.exports), scoped by the caller's
role, logged with who, which grid and which filters."""
from __future__ import annotations

from typing import Mapping

from domain.roles import Actor, Forbidden, Page, may_export, require
from services.analytics_filters import InvalidFilter
from services.conversion_views import DECISION_COLUMNS, export_decisions, key_of_query
from services.events_grid import EVENT_LOG_COLUMNS, export_event_log
from services.events_grid import EXPORT_COLUMNS as EVENT_EXPORT
from services.exports import Export, UnknownTable, csv_chunks, logged_body
from services.grid_requests import InvalidGridRequest, window_of_query
from services.leads import LEAD_COLUMNS, export_leads, lead_filters

LEAD_EXPORT = ("id", "company", "contact_name", "city", "business_type", "status", "followup", "next_followup_at",
               "score", "owner", "registered_at")
GRID_KEYS = ("sort", "filter")


class _Described(dict):
    """The filters of an export as its log line names them."""

    def query(self) -> dict:
        return dict(self)


def _leads(deps, actor: Actor, query: Mapping[str, str]) -> Export:
    filters, drill = lead_filters(deps, actor, {k: v for k, v in query.items() if k not in GRID_KEYS})
    window = window_of_query(query, LEAD_COLUMNS)
    rows = (tuple(row[c] for c in LEAD_EXPORT) for row in export_leads(deps, actor, filters, drill, window))
    return Export("leads", LEAD_EXPORT, logged_body(csv_chunks(rows), actor, "grid/leads", _Described(query)))


DECISION_EXPORT = ("latest", "lead_id", "company", "status", "decision", "rule", "why", "by", "times")


def _decisions(deps, actor: Actor, query: Mapping[str, str]) -> Export:
    require(actor, Page.CONVERSIONS)
    unknown = set(query) - {"decision", "rule", "version", "fact", *GRID_KEYS}
    if unknown:
        raise InvalidFilter(sorted(unknown)[0], "is not a filter of the decisions")
    key, window = key_of_query(query), window_of_query(query, DECISION_COLUMNS)
    rows = (tuple(r[c] for c in DECISION_EXPORT) for r in export_decisions(deps.uow, actor, key, window))
    return Export("decisions", DECISION_EXPORT, logged_body(csv_chunks(rows), actor, "grid/decisions", _Described(query)))


def _events(deps, actor: Actor, query: Mapping[str, str]) -> Export:
    require(actor, Page.ADMIN_EVENTS)
    unknown = set(query) - set(GRID_KEYS)
    if unknown:
        raise InvalidFilter(sorted(unknown)[0], "is not a filter of the event log")
    rows = export_event_log(deps, actor, window_of_query(query, EVENT_LOG_COLUMNS))
    return Export("event-log", EVENT_EXPORT, logged_body(csv_chunks(rows), actor, "grid/events", _Described(query)))


GRIDS = {"leads": _leads, "decisions": _decisions, "events": _events}


def open_grid_export(deps, actor: Actor, grid: str, query: Mapping[str, str]) -> Export:
    """Check the caller, the grid and every filter before the first byte is sent."""
    if not may_export(actor):
        raise Forbidden.for_role(actor, "download exports")
    if grid not in GRIDS:
        raise UnknownTable(grid)
    try:
        return GRIDS[grid](deps, actor, query)
    except InvalidGridRequest as exc:
        raise InvalidFilter(exc.name, exc.reason) from None
