"""Follow-ups: the work list of follow-up steps in the caller's scope, paged, sorted and filtered by the
server; bulk pause, resume and "send now" for the selected rows; CSV download; an admin's "run now"."""
from __future__ import annotations

import time

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc
from dash.exceptions import PreventUpdate

from components import ids
from components.callback_inputs import choice, grid_selection, optional_id, text
from components.followups_grid import grid_response
from components.followups_view import bulk_message, followups_view, message, run_summary, worklist_summary
from components.grid_inputs import rows_window
from components.shell import refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.followup_bulk import change_many
from services.followup_worklist import (STATES, STEPS, WINDOWS, WORKLIST_COLUMNS, WorklistFilters, worklist_csv,
                                       worklist_options, worklist_page)
from services.followups import run_followups_on_demand

dash.register_page(__name__, path="/followups", name="Follow-ups", title="Follow-ups · Follow-up Cockpit", order=2)
FILTERS = [State(ids.FOLLOWUPS_SEARCH, "value"), State(ids.FOLLOWUPS_STEP, "value"), State(ids.FOLLOWUPS_STATE, "value"),
           State(ids.FOLLOWUPS_WINDOW, "value"), State(ids.FOLLOWUPS_TEAM, "value"), State(ids.FOLLOWUPS_OWNER, "value")]
BULK = {ids.FOLLOWUPS_PAUSE: "pause", ids.FOLLOWUPS_RESUME: "resume", ids.FOLLOWUPS_SEND: "send"}


def layout(**_kwargs):
    try:
        return followups_view(worklist_options(deps().uow, actor()))
    except Forbidden as exc:
        return refusal(str(exc))


def _filters(search, step, state, window, team, owner) -> WorklistFilters:
    return WorklistFilters(search=text("search", search, 100), step=choice("step", step, STEPS),
                           state=choice("state", state, STATES, "active"), window=choice("window", window, WINDOWS, "week"),
                           team_id=optional_id("team", team), owner_id=optional_id("owner", owner))


@callback(Output(ids.FOLLOWUPS_GRID, "getRowsResponse"), Output(ids.FOLLOWUPS_SUMMARY, "children"),
          Input(ids.FOLLOWUPS_GRID, "getRowsRequest"), *FILTERS, prevent_initial_call=True)
def show_rows(request, *filters):
    if request is None:
        raise PreventUpdate  # the grid has not asked yet
    window = rows_window(request, WORKLIST_COLUMNS)
    page = worklist_page(deps().uow, actor(), _filters(*filters), window, deps().clock)
    return grid_response(page.rows, page.totals.total), worklist_summary(page.totals)


@callback(Output(ids.FOLLOWUPS_MESSAGE, "children"), Output(ids.FOLLOWUPS_CHANGED, "data"),
          Input(ids.FOLLOWUPS_PAUSE, "n_clicks"), Input(ids.FOLLOWUPS_RESUME, "n_clicks"),
          Input(ids.FOLLOWUPS_SEND, "n_clicks"), State(ids.FOLLOWUPS_GRID, "selectedRows"), prevent_initial_call=True)
def act_on_selection(_pause, _resume, _send, selected):
    picks = grid_selection(selected, "lead_id", "step")
    if ctx.triggered_id not in BULK or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    try:
        result = change_many(deps().uow, actor(), BULK[ctx.triggered_id], picks, deps().followups, deps().clock)
    except (Forbidden, ValueError) as exc:
        return message(str(exc), "danger"), dash.no_update
    return bulk_message(result), time.time()


@callback(Output(ids.FOLLOWUPS_DOWNLOAD, "data"), Output(ids.FOLLOWUPS_MESSAGE, "children", allow_duplicate=True),
          Input(ids.FOLLOWUPS_EXPORT, "n_clicks"), State(ids.FOLLOWUPS_GRID, "getRowsRequest"), *FILTERS,
          prevent_initial_call=True)
def download_csv(clicks, request, *filters):
    window = rows_window(request, WORKLIST_COLUMNS)  # the grid's order; before it asked, the default
    if not clicks:
        raise PreventUpdate
    try:
        name, body, rows = worklist_csv(deps().uow, actor(), _filters(*filters), window, deps().clock)
    except Forbidden as exc:
        return dash.no_update, message(str(exc), "danger")
    return dcc.send_string(body, name), message(f"{rows:,} rows downloaded as {name}.", "info")


@callback(Output(ids.FOLLOWUPS_RUN_SUMMARY, "children"), Output(ids.FOLLOWUPS_CHANGED, "data", allow_duplicate=True),
          Input(ids.FOLLOWUPS_RUN, "n_clicks"), prevent_initial_call=True)
def run_now(_clicks):
    try:
        # the app's automation, with its telemetry: a "run now" counts in /metrics as the scheduler's runs do
        summary = run_followups_on_demand(deps().uow, actor(), deps().followups, deps().clock)
    except Forbidden as exc:
        return message(str(exc), "danger"), dash.no_update
    return run_summary(summary), time.time()


# In the browser: new filters make the grid ask the server again from its first page, a finished action
# reloads the page shown; either drops the selection (its rows may have left the list).
clientside_callback(
    """function () {
        var action = dash_clientside.callback_context.triggered_id === "%s";
        dash_ag_grid.getApiAsync("%s").then(function (api) {
            api.deselectAll();
            if (action) { api.refreshInfiniteCache(); } else { api.purgeInfiniteCache(); api.paginationGoToFirstPage(); }
        });
        return window.dash_clientside.no_update;
    }""" % (ids.FOLLOWUPS_CHANGED, ids.FOLLOWUPS_GRID),
    Output(ids.FOLLOWUPS_REFRESHED, "data"), Input(ids.FOLLOWUPS_SEARCH, "value"), Input(ids.FOLLOWUPS_STEP, "value"),
    Input(ids.FOLLOWUPS_STATE, "value"), Input(ids.FOLLOWUPS_WINDOW, "value"), Input(ids.FOLLOWUPS_TEAM, "value"),
    Input(ids.FOLLOWUPS_OWNER, "value"), Input(ids.FOLLOWUPS_CHANGED, "data"), prevent_initial_call=True)
clientside_callback(
    """function (rows) { return rows && rows.length ? rows.length + " selected" : "No row selected"; }""",
    Output(ids.FOLLOWUPS_SELECTED, "children"), Input(ids.FOLLOWUPS_GRID, "selectedRows"))
