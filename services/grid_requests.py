"""A grid's request for rows, read from what AG Grid sends (getRowsRequest) or from an export's URL
query, and checked against the columns the grid offers: sortable names, and for each filterable column
its kind. Anything else is InvalidGridRequest (a callback answers 400, an export route 400)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Mapping
from urllib.parse import urlencode

from data.grid_filters import OPS, ColumnFilter, GridWindow

MAX_ROWS = 200  # one request; the grids ask for a page (25-100) at a time
MAX_TEXT = 200


class InvalidGridRequest(ValueError):
    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


@dataclass(frozen=True)
class GridColumns:
    """What one grid offers: the columns it sorts by, the kind of each column it filters, its default order."""

    sortable: frozenset[str]
    filterable: Mapping[str, str]  # column -> text, number or date
    default_sort: tuple[tuple[str, bool], ...]


def _whole(name: str, value, highest: int = 2**31 - 1) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
        raise InvalidGridRequest(name, f"must be a whole number from 0 to {highest}")
    return value


def _sort(model, columns: GridColumns) -> tuple[tuple[str, bool], ...]:
    if model in (None, []):
        return columns.default_sort
    if not isinstance(model, list) or len(model) > 3:
        raise InvalidGridRequest("sortModel", "sorts by at most three columns")
    keys = []
    for entry in model:
        col, order = (entry.get("colId"), entry.get("sort")) if isinstance(entry, dict) else (None, None)
        # a forged colId may be any JSON value: only a string can name a column (a dict is not hashable)
        if not isinstance(col, str) or col not in columns.sortable or order not in ("asc", "desc"):
            raise InvalidGridRequest("sortModel", f"{col!r} is not a column this grid sorts by")
        keys.append((col, order == "desc"))
    return tuple(keys)


def _value(column: str, kind: str, raw, to: bool = False):
    name = f"{column}.{'filterTo' if to else 'filter'}"
    if kind == "text":
        if not isinstance(raw, str) or not 0 < len(raw) <= MAX_TEXT:
            raise InvalidGridRequest(name, f"must be text of 1 to {MAX_TEXT} characters")
        return raw
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or abs(raw) > 2**31:
            raise InvalidGridRequest(name, "must be a number")
        return raw
    try:  # AG Grid sends "YYYY-MM-DD hh:mm:ss"; the day is what counts
        day = date.fromisoformat(str(raw)[:10]) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None or not date(1970, 1, 1) <= day <= date(2200, 1, 1):
        raise InvalidGridRequest(name, "must be a day from 1970-01-01 to 2200-01-01")
    return day


def _filter(column: str, model, columns: GridColumns) -> ColumnFilter:
    kind = columns.filterable.get(column)
    if kind is None:
        raise InvalidGridRequest("filterModel", f"{column!r} is not a column this grid filters")
    op = model.get("type") if isinstance(model, dict) else None
    if op not in OPS[kind] or "conditions" in model:
        raise InvalidGridRequest("filterModel", f"{column}: {op!r} is not a filter of a {kind} column")
    if op in ("blank", "notBlank"):
        return ColumnFilter(column, kind, op)
    first = model.get("dateFrom" if kind == "date" else "filter")
    to = model.get("dateTo" if kind == "date" else "filterTo") if op == "inRange" else None
    return ColumnFilter(column, kind, op, _value(column, kind, first),
                        None if op != "inRange" else _value(column, kind, to, to=True))


def _filters(model, columns: GridColumns) -> tuple[ColumnFilter, ...]:
    if model in (None, {}):
        return ()
    if not isinstance(model, dict) or len(model) > 20:
        raise InvalidGridRequest("filterModel", "must name at most 20 columns")
    return tuple(_filter(column, m, columns) for column, m in sorted(model.items()))


def grid_window(request, columns: GridColumns) -> GridWindow:
    """The window of rows AG Grid's infinite row model asks for (None: the first page)."""
    if request is None:
        return GridWindow(0, 25, columns.default_sort)
    if not isinstance(request, dict):
        raise InvalidGridRequest("getRowsRequest", "must be an object")
    start = _whole("startRow", request.get("startRow", 0))
    end = _whole("endRow", request.get("endRow", start + 25))
    if not start < end <= start + MAX_ROWS:
        raise InvalidGridRequest("endRow", f"must lie after startRow, at most {MAX_ROWS} rows on")
    return GridWindow(start, end - start, _sort(request.get("sortModel"), columns),
                      _filters(request.get("filterModel"), columns))


def export_query(window: GridWindow) -> dict[str, str]:
    """The URL query that gives an export the grid's order and filters (its window aside)."""
    query = {"sort": ",".join(f"{'-' if desc else ''}{col}" for col, desc in window.sort)}
    if window.filters:
        query["filter"] = json.dumps({f.column: _model(f) for f in window.filters}, separators=(",", ":"),
                                     default=str)
    return query


def _model(f: ColumnFilter) -> dict:
    if f.kind == "date":
        return {"type": f.op, "dateFrom": f.value and str(f.value), "dateTo": f.value_to and str(f.value_to)}
    return {"type": f.op, "filter": f.value, "filterTo": f.value_to}


def window_of_query(query: Mapping[str, str], columns: GridColumns) -> GridWindow:
    """An export's order and filters from its URL query (export_query's inverse); every row."""
    sort = []
    for key in filter(None, (query.get("sort") or "").split(",")):
        sort.append({"colId": key.lstrip("-"), "sort": "desc" if key.startswith("-") else "asc"})
    if len(query.get("filter") or "") > 4000:
        raise InvalidGridRequest("filter", "is longer than 4,000 characters")
    try:
        model = json.loads(query["filter"]) if query.get("filter") else None
    except (ValueError, RecursionError):
        raise InvalidGridRequest("filter", "is not JSON") from None
    return GridWindow(0, 0, _sort(sort, columns), _filters(model, columns))


def with_query(path: str, query: Mapping[str, str]) -> str:
    values = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(values)}" if values else path


def export_href(grid: str, query: Mapping[str, str], window: GridWindow) -> str:
    """The CSV of a server-side grid as it shows now: its page's filters, its order and column filters."""
    return with_query(f"/export/grid/{grid}.csv", {**query, **export_query(window)})
