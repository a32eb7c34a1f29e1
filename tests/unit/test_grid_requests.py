"""Reading what a grid asks for (services.grid_requests): a getRowsRequest or an export's URL query either
becomes a window over the grid's own columns or is refused with InvalidGridRequest, whatever it holds;
and an export's query gives back exactly the window the grid showed."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.grid_filters import ColumnFilter, GridWindow
from services.grid_requests import GridColumns, InvalidGridRequest, export_query, grid_window, window_of_query

COLUMNS = GridColumns(sortable=frozenset({"company", "score", "registered_at"}),
                      filterable={"company": "text", "score": "number", "registered_at": "date"},
                      default_sort=(("registered_at", True),))
ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                   max_leaves=12)
NAMES = st.sampled_from(["company", "score", "registered_at", "email", "startRow", "endRow", "sortModel", "filterModel",
                         "colId", "sort", "type", "filter", "filterTo", "dateFrom", "dateTo", "conditions"])
SHAPED = st.recursive(ANY, lambda inner: st.dictionaries(NAMES, inner, max_size=5) | st.lists(inner, max_size=3), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(request=SHAPED)
def test_any_request_is_a_window_over_the_grids_columns_or_refused(request):
    try:
        window = grid_window(request, COLUMNS)
    except InvalidGridRequest:
        return
    assert 0 < window.limit <= 200 and window.offset >= 0
    assert all(col in COLUMNS.sortable for col, _desc in window.sort)
    assert all(f.column in COLUMNS.filterable and f.kind == COLUMNS.filterable[f.column] for f in window.filters)


@settings(max_examples=300, deadline=None)
@given(query=st.dictionaries(st.sampled_from(["sort", "filter", "q"]), st.text(max_size=60) | SHAPED.map(str), max_size=3))
def test_any_export_query_is_a_window_or_refused(query):
    try:
        window_of_query(query, COLUMNS)
    except InvalidGridRequest:
        pass


def test_an_export_query_gives_back_the_grids_window():
    shown = GridWindow(25, 25, (("score", True), ("company", False)),
                       (ColumnFilter("company", "text", "contains", "Hof"),
                        ColumnFilter("registered_at", "date", "inRange", date(2026, 11, 1), date(2026, 11, 30)),
                        ColumnFilter("score", "number", "blank")))
    again = window_of_query(export_query(shown), COLUMNS)
    assert (again.sort, set(again.filters)) == (shown.sort, set(shown.filters))


@pytest.mark.parametrize("request_", [
    {"startRow": 0, "endRow": 201}, {"startRow": 5, "endRow": 5}, {"startRow": -1, "endRow": 10},
    {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "email", "sort": "asc"}]},
    {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "score", "sort": "asc"}] * 4},
    {"startRow": 0, "endRow": 25, "filterModel": {"score": {"type": "contains", "filter": "1"}}},
    {"startRow": 0, "endRow": 25, "filterModel": {"score": {"type": "equals", "filter": float("inf")}}},
    {"startRow": 0, "endRow": 25, "filterModel": {"company": {"type": "equals", "filter": ""}}},
    {"startRow": 0, "endRow": 25, "filterModel": {"registered_at": {"type": "equals", "dateFrom": "2201-01-01"}}},
    {"startRow": 0, "endRow": 25, "filterModel": {"company": {"operator": "OR", "type": "equals", "conditions": []}}}])
def test_what_the_grid_never_sends_is_refused(request_):
    with pytest.raises(InvalidGridRequest):
        grid_window(request_, COLUMNS)
