"""Events (admins, analysts): parked events to retry or discard (admins only), the event log (paged, sorted
and filtered on the server), then the event catalog: every event type, its producer, consumers and data fields."""
from __future__ import annotations

import time

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, html
from dash.exceptions import PreventUpdate
from flask import current_app

from components import ids
from components.callback_inputs import text
from components.event_log import catalog_card, event_log_card
from components.grid_inputs import rows_window
from components.parked_events import message, parked_section, parked_table, what_text
from components.shell import page_header, refusal
from domain.roles import Forbidden, Page, may_export, require
from pages._context import actor, deps
from pipelines.catalog import catalog_json
from services.events_grid import EVENT_LOG_COLUMNS, event_page
from services.grid_requests import InvalidGridRequest, export_href
from services.held_events import InvalidInput, discard_parked, parked_events, require_operator, retry_parked

dash.register_page(__name__, path="/admin/events", name="Event catalog", title="Events · Follow-up Cockpit", order=10)

ACTIONS = {"type": ids.PARKED_ACTION, "action": ALL, "consumer": ALL, "seq": ALL}


def _row(entry: dict) -> dict:
    required = set(entry["schema"].get("required", []))
    return {"type": entry["type"], "meaning": entry["meaning"], "producer": ", ".join(entry["producer"]),
            "consumers": ", ".join(entry["consumers"]),
            "fields": ", ".join(f"{k}{'*' if k in required else ''}" for k in entry["schema"]["properties"])}


def layout(**_kwargs):
    caller = actor()
    try:
        require(caller, Page.ADMIN_EVENTS)
    except Forbidden as exc:
        return refusal(str(exc))
    try:  # analysts read the catalog; only admins see (and act on) parked events
        parked = [parked_section(parked_events(deps().uow, caller))]
    except Forbidden:
        parked = []
    export = may_export(caller)
    return html.Div([page_header("Events", "Parked events, the event log and the catalog of CloudEvents 1.0 types "
                                           "(the catalog as JSON at GET /api/events/catalog)"),
                     *parked, event_log_card(export), catalog_card([_row(e) for e in catalog_json()], export)])


@callback(Output(ids.EVENTS_LOG, "getRowsResponse"), Output(ids.EVENTS_LOG_TOTAL, "children"),
          Output(ids.EVENTS_LOG_DOWNLOAD, "href"), Input(ids.EVENTS_LOG, "getRowsRequest"))
def show_event_log(request):
    """One block of the event log; the grid's sort and column filters are checked, then run in DuckDB."""
    window = rows_window(request, EVENT_LOG_COLUMNS)
    try:
        rows, total = event_page(deps(), actor(), window)
    except (Forbidden, InvalidGridRequest) as exc:  # a filter the grid does not offer: said, not run
        return {"rowData": [], "rowCount": 0}, str(exc), dash.no_update
    rows = [dict(r, lead_id__href=f"/leads/{r['lead_id']}") if r["lead_id"] else r for r in rows]
    return {"rowData": rows, "rowCount": total}, f"{total:,} events", export_href("events", {}, window)


@callback(Output(ids.PARKED_LIST, "children"), Input(ids.PARKED_CHANGED, "data"), Input(ids.PARKED_REFRESH, "n_clicks"),
          prevent_initial_call=True)
def show_parked(_changed, _refresh):
    try:
        return parked_table(parked_events(deps().uow, actor()))
    except Forbidden as exc:
        return message(str(exc), "danger")


@callback(Output(ids.PARKED_MESSAGE, "children"), Output(ids.PARKED_CHANGED, "data"),
          Output(ids.PARKED_DISCARD_DIALOG, "is_open"), Output(ids.PARKED_DISCARD_TARGET, "data"),
          Output(ids.PARKED_DISCARD_WHAT, "children"), Input(ACTIONS, "n_clicks"), prevent_initial_call=True)
def press_row_button(_clicks):
    """Retry at once; Discard first opens the dialog that asks why."""
    pressed = ctx.triggered_id
    if not isinstance(pressed, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the list re-rendered its buttons; nobody pressed one
    target = {"consumer": pressed.get("consumer"), "seq": pressed.get("seq")}
    try:
        require_operator(actor())
    except Forbidden as exc:
        return message(str(exc), "danger"), dash.no_update, False, None, ""
    if pressed.get("action") == "discard":
        return dash.no_update, dash.no_update, True, target, what_text(target)
    return (*_act(retry_parked, target, None, "Retrying {consumer} #{seq}: the relay tries it now."), False, None, "")


@callback(Output(ids.PARKED_MESSAGE, "children", allow_duplicate=True),
          Output(ids.PARKED_CHANGED, "data", allow_duplicate=True),
          Output(ids.PARKED_DISCARD_DIALOG, "is_open", allow_duplicate=True), Output(ids.PARKED_DISCARD_REASON, "value"),
          Input(ids.PARKED_DISCARD_CONFIRM, "n_clicks"), Input(ids.PARKED_DISCARD_CANCEL, "n_clicks"),
          State(ids.PARKED_DISCARD_TARGET, "data"), State(ids.PARKED_DISCARD_REASON, "value"), prevent_initial_call=True)
def confirm_discard(_confirm, _cancel, target, reason):
    if ctx.triggered_id != ids.PARKED_DISCARD_CONFIRM or not isinstance(target, dict):
        return dash.no_update, dash.no_update, False, ""
    reason = text("reason", reason, 2000)
    if not reason.strip():
        return message("A discard needs a reason: say why it is safe to skip.", "warning"), dash.no_update, False, ""
    done = "Discarded {consumer} #{seq}: its later events of the subject flow again."
    return (*_act(discard_parked, target, reason, done), False, "")


def _act(use_case, target: dict, reason: str | None, done: str) -> tuple:
    """(message, changed marker) after calling one service; the service checks the role and the input."""
    try:
        changed = use_case(deps().uow, actor(), target.get("consumer"), target.get("seq"), deps().clock,
                           reason=reason, wake=current_app.extensions["relay"].wake)
    except (Forbidden, InvalidInput) as exc:
        return message(str(exc), "danger"), dash.no_update
    if not changed:
        return message("That event is no longer parked (retried or discarded already).", "info"), time.time()
    return message(done.format(**target), "success"), time.time()


# The dialog's Discard stays disabled until a reason is typed (the server refuses an empty one too).
clientside_callback("function (reason) { return !(reason && reason.trim()); }",
                    Output(ids.PARKED_DISCARD_CONFIRM, "disabled"), Input(ids.PARKED_DISCARD_REASON, "value"))
