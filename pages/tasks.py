"""My tasks: the open call tasks of the caller's leads (managers: their team's; admins: everyone's),
closed or snoozed per row or for the selected rows. Analysts and viewers have no tasks."""
from __future__ import annotations

import time

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx
from dash.exceptions import PreventUpdate

from components import ids
from components.callback_inputs import choice
from components.grid_inputs import row_press, rows_request, selected_ids
from components.shell import refusal
from components.tasks_view import SORTS, change_message, message, rows_response, tasks_layout, total_text
from domain.roles import Forbidden, Page, require
from domain.tasks import ACTIONS
from pages._context import actor, deps
from services.tasks import MAX_PER_ACTION, InvalidTaskAction, act_on_tasks, tasks_page

dash.register_page(__name__, path="/tasks", name="Tasks", title="Tasks · Follow-up Cockpit", order=4)


def layout(**_kwargs):
    try:
        require(actor(), Page.TASKS)
    except Forbidden as exc:
        return refusal(str(exc))
    return tasks_layout()


@callback(Output(ids.TASKS_GRID, "getRowsResponse"), Output(ids.TASKS_TOTAL, "children"),
          Input(ids.TASKS_GRID, "getRowsRequest"), prevent_initial_call=True)
def task_rows(request):
    """One block of rows; the scope comes from the signed-in caller (a refusal is a 403)."""
    page = tasks_page(deps().uow, actor(), rows_request("getRowsRequest", request, SORTS), deps().clock)
    return rows_response(page), total_text(page.total)


@callback(Output(ids.TASKS_MESSAGE, "children"), Output(ids.TASKS_CHANGED, "data"),
          Input(ids.TASKS_GRID, "cellRendererData"), prevent_initial_call=True)
def press_row_button(pressed):
    action, task_id = row_press("cellRendererData", pressed, ACTIONS)
    return _act(action, [task_id])


@callback(Output(ids.TASKS_MESSAGE, "children", allow_duplicate=True),
          Output(ids.TASKS_CHANGED, "data", allow_duplicate=True),
          Input({"type": ids.TASKS_BULK, "action": ALL}, "n_clicks"), State(ids.TASKS_GRID, "selectedRows"),
          prevent_initial_call=True)
def press_bulk_button(_clicks, selected):
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the buttons were drawn; nobody pressed one
    action = choice("action", pressed.get("action"), ACTIONS)
    return _act(action, selected_ids("selectedRows", selected, MAX_PER_ACTION))


def _act(action: str, task_ids: list[str]) -> tuple:
    """(message, refresh marker) after one service call, which checks the role, the scope and the ids."""
    try:
        change = act_on_tasks(deps().uow, actor(), action, task_ids, deps().clock)
    except InvalidTaskAction as exc:
        return message(str(exc), "danger"), dash.no_update
    return change_message(change), {"grids": [ids.TASKS_GRID], "at": time.time()}


# After an action the grid reads its rows again (assets/grid_actions.js).
clientside_callback(ClientsideFunction(namespace="grids", function_name="refresh"),
                    Output(ids.TASKS_REFRESHED, "data"), Input(ids.TASKS_CHANGED, "data"), prevent_initial_call=True)
