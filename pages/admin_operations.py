"""Operations (admins only): dead sink deliveries, dead or unconfirmed mail and the suppression list,
each a grid with its row buttons. A retry happens at once; a discard, a "mark sent" and a lift first
ask why. Every change is stored with who, when and why, and logged to `cockpit.audit`."""
from __future__ import annotations

import time

import dash
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx
from dash.exceptions import PreventUpdate
from flask import current_app

from components import ids
from components.callback_inputs import text
from components.grid_inputs import row_press, rows_request
from components.operations_view import (ACTIONS, GRIDS, SORTS, TOTALS, dialog_text, done_text, message,
                                        operations_layout, recent_list, rows_response, total_text)
from components.shell import refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.operations import (NEEDS_REASON, OperationRefused, operate, operations_rows, provider_verdict,
                                 recent_actions, require_operator)

dash.register_page(__name__, path="/admin/operations", name="Operations", title="Operations · Follow-up Cockpit",
                   order=11)
TAB_OF_GRID = {grid: tab for tab, grid in GRIDS.items()}
CLOSED = (False, None, "", "")  # the dialog's is_open, target, text and reason when nothing is asked


def layout(**_kwargs):
    try:
        return operations_layout(recent_actions(deps().uow, actor()))
    except Forbidden as exc:
        return refusal(str(exc))


def _verdict():
    """Whether a mail's provider has it, asked of this process's mail dispatcher (services.operations)."""
    return provider_verdict(current_app.extensions["mail_dispatcher"])


def _rows(tab: str, request, search: str = "") -> tuple:
    window = rows_request("getRowsRequest", request, SORTS[tab])
    found = operations_rows(deps().uow, actor(), tab, window, search=search, verdict=_verdict())
    return rows_response(found), total_text(tab, found.total)


@callback(Output(GRIDS["sinks"], "getRowsResponse"), Output(TOTALS["sinks"], "children"),
          Input(GRIDS["sinks"], "getRowsRequest"), prevent_initial_call=True)
def sink_rows(request):
    return _rows("sinks", request)


@callback(Output(GRIDS["mail"], "getRowsResponse"), Output(TOTALS["mail"], "children"),
          Input(GRIDS["mail"], "getRowsRequest"), prevent_initial_call=True)
def mail_rows(request):
    return _rows("mail", request)


@callback(Output(GRIDS["suppressions"], "getRowsResponse"), Output(TOTALS["suppressions"], "children"),
          Input(GRIDS["suppressions"], "getRowsRequest"), State(ids.OPS_SEARCH, "value"), prevent_initial_call=True)
def suppression_rows(request, search):
    return _rows("suppressions", request, text("search", search, 254).strip())


@callback(Output(ids.OPS_MESSAGE, "children"), Output(ids.OPS_CHANGED, "data"), Output(ids.OPS_DIALOG, "is_open"),
          Output(ids.OPS_DIALOG_TARGET, "data"), Output(ids.OPS_DIALOG_WHAT, "children"),
          Output(ids.OPS_DIALOG_REASON, "value"), *(Input(grid, "cellRendererData") for grid in GRIDS.values()),
          prevent_initial_call=True)
def press_row_button(*_pressed):
    """A retry at once; the others open the dialog that asks why."""
    require_operator(actor())  # also before a dialog opens: a refusal is a 403
    tab = TAB_OF_GRID.get(ctx.triggered_id)
    if tab is None:
        raise PreventUpdate
    action, key = row_press("cellRendererData", ctx.triggered[0]["value"], ACTIONS[tab])
    target = {"tab": tab, "action": action, "key": key}
    if (tab, action) in NEEDS_REASON:
        return dash.no_update, dash.no_update, True, target, dialog_text(target), ""
    return (*_act(target, None), *CLOSED)


@callback(Output(ids.OPS_MESSAGE, "children", allow_duplicate=True), Output(ids.OPS_CHANGED, "data", allow_duplicate=True),
          Output(ids.OPS_DIALOG, "is_open", allow_duplicate=True), Output(ids.OPS_DIALOG_REASON, "value", allow_duplicate=True),
          Input(ids.OPS_DIALOG_CONFIRM, "n_clicks"), Input(ids.OPS_DIALOG_CANCEL, "n_clicks"),
          State(ids.OPS_DIALOG_TARGET, "data"), State(ids.OPS_DIALOG_REASON, "value"), prevent_initial_call=True)
def confirm_with_reason(_confirm, _cancel, target, reason):
    require_operator(actor())
    if ctx.triggered_id != ids.OPS_DIALOG_CONFIRM or not isinstance(target, dict):
        return dash.no_update, dash.no_update, False, ""
    return (*_act(target, text("reason", reason, 2000)), False, "")


def _act(target: dict, reason: str | None) -> tuple:
    """(message, refresh marker) after one service call; the service checks the role, the row and the reason."""
    try:
        changed = operate(deps().uow, actor(), target.get("tab"), target.get("action"), target.get("key"), reason,
                          verdict=_verdict(), clock=deps().clock)
    except OperationRefused as exc:
        return message(str(exc), "warning"), dash.no_update
    return done_text(target, changed), {"grids": list(GRIDS.values()), "at": time.time()}


@callback(Output(ids.OPS_RECENT, "children"), Input(ids.OPS_CHANGED, "data"), prevent_initial_call=True)
def show_recent(_changed):
    return recent_list(recent_actions(deps().uow, actor()))


# After an action every grid reads its rows again; a new search reads the suppressions (assets/grid_actions.js).
clientside_callback(ClientsideFunction(namespace="grids", function_name="refresh"),
                    Output(ids.OPS_REFRESHED, "data"), Input(ids.OPS_CHANGED, "data"), prevent_initial_call=True)
clientside_callback(ClientsideFunction(namespace="grids", function_name="refresh"),
                    Output(ids.OPS_REFRESHED, "data", allow_duplicate=True), Input(ids.OPS_SEARCH, "value"),
                    State(GRIDS["suppressions"], "id"), prevent_initial_call=True)
# The dialog's Confirm stays disabled until a reason is typed (the service refuses an empty one too).
clientside_callback("function (reason) { return !(reason && reason.trim()); }",
                    Output(ids.OPS_DIALOG_CONFIRM, "disabled"), Input(ids.OPS_DIALOG_REASON, "value"))
