"""The event log on /admin/events: the projected events (DuckDB), paged, sorted and filtered on the server
(data/sql/events_page.sql), for admins and analysts; its CSV the same rows in the same order."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterator

from data import analytics_queries
from data.grid_filters import ColumnFilter, GridWindow
from domain.roles import Actor, Page, require
from services.analytics import warehouse_cursor
from services.grid_requests import GridColumns, InvalidGridRequest

EQUAL_TEXT = ("business_type", "step", "template_id", "variant", "label")
EQUAL_NUMBER = ("lead_id", "team_id", "user_id")
EVENT_LOG_COLUMNS = GridColumns(
    sortable=frozenset({"seq", "time", "type", "lead_id", "business_type", "step", "template_id", "variant", "label"}),
    filterable={"type": "text", "time": "date", **dict.fromkeys(EQUAL_TEXT, "text"), **dict.fromkeys(EQUAL_NUMBER, "number")},
    default_sort=(("seq", True),))
EXPORT_COLUMNS = ("seq", "time", "type", "source", "event_id", "lead_id", "user_id", "team_id", "business_type", "step",
                  "template_id", "variant", "label")
EVERYTHING = (datetime(1970, 1, 1), datetime(2200, 1, 2))


def _day(d: date) -> datetime:
    return datetime.combine(d, time())


def _time(f: ColumnFilter, since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The window a date filter leaves (days, UTC; a range includes both ends)."""
    start, after = _day(f.value), _day(f.value) + timedelta(days=1)
    windows = {"equals": (start, after), "lessThan": (since, start), "greaterThan": (after, until),
               "inRange": (start, _day(f.value_to or f.value) + timedelta(days=1))}
    if f.op not in windows:
        raise InvalidGridRequest("filterModel", f"time: {f.op!r} is not a filter of the event log")
    return windows[f.op]


def _params(filters: tuple[ColumnFilter, ...]) -> dict:
    """The named query's parameters: each column offers the one filter it has an index-friendly test for."""
    params = dict.fromkeys(("type_text", *EQUAL_TEXT, *EQUAL_NUMBER))
    params["since"], params["until"] = EVERYTHING
    wanted = {"type": "contains", **dict.fromkeys(EQUAL_TEXT + EQUAL_NUMBER, "equals")}
    for f in filters:
        if f.column == "time":
            params["since"], params["until"] = _time(f, params["since"], params["until"])
        elif f.op != wanted[f.column] or (f.kind == "number" and float(f.value) != int(f.value)):
            raise InvalidGridRequest("filterModel", f"{f.column}: only {wanted[f.column]!r} filters the event log")
        else:
            params["type_text" if f.column == "type" else f.column] = int(f.value) if f.kind == "number" else f.value
    return params


def event_page(deps, actor: Actor, window: GridWindow) -> tuple[list[dict], int]:
    """One window of the event log and how many events match the filters."""
    require(actor, Page.ADMIN_EVENTS)
    (column, descending), params = window.sort[0], _params(window.filters)
    with warehouse_cursor(deps) as cur:
        rows = analytics_queries.ordered_rows(cur, "events_page", {**params, "limit": window.limit, "offset": window.offset},
                                              column, descending)
    return [dict(r, time=r["time"].strftime("%Y-%m-%d %H:%M:%S")) for r in rows], int(rows[0]["total"]) if rows else 0


def export_event_log(deps, actor: Actor, window: GridWindow) -> Iterator[tuple]:
    """Every event the grid's filters leave, in its order, as EXPORT_COLUMNS tuples."""
    require(actor, Page.ADMIN_EVENTS)
    (column, descending), params = window.sort[0], _params(window.filters)

    def rows() -> Iterator[tuple]:
        with warehouse_cursor(deps) as cur:
            for row in analytics_queries.ordered_stream(cur, "events_page", {**params, "limit": 2**62, "offset": 0},
                                                        column, descending):
                yield row[:-1]  # the total is the grid's, not the file's
    return rows()
