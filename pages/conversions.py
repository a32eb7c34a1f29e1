"""Conversions: decisions in scope grouped by kind, the leads of a group (paged on the server), converting
or undoing from a lead's row (managers, after a confirmation), and labelling the replies in review."""
from __future__ import annotations

import time

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, html
from dash.exceptions import PreventUpdate

from components import ids
from components.callback_inputs import choice, optional_id
from components.conversions_view import LABELS, conversions_view, labelled_message, review_rows
from components.grid_inputs import clicked, read, row_number, rows_window, selected_ids, selected_row
from components.grids import register_refresh
from components.shell import page_header, refusal
from domain.roles import Forbidden, may_edit_leads, may_export
from pages._context import actor, deps
from services import conversions as conversion_service
from services.conversion_views import (DECISION_COLUMNS, conversion_target, decision_groups, decision_key, decision_page,
                                       key_query, review_queue)
from services.grid_requests import export_href
from services.replies import MAX_LABELLED_AT_ONCE, label_replies

dash.register_page(__name__, path="/conversions", name="Conversions", title="Conversions · Follow-up Cockpit", order=5)
NO_ROWS = {"rowData": [], "rowCount": 0}
DONE = {"convert": "Lead #{lead_id} {company} is now customer #{customer}.",
        "undo": "Conversion of lead #{lead_id} {company} undone."}


def layout(**_kwargs):
    caller = actor()
    try:
        groups, reviews = decision_groups(deps().uow, caller), review_queue(deps().uow, caller)
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([page_header("Conversions", "Which replies turned leads into customers, and why"),
                     conversions_view(groups, reviews, may_edit_leads(caller), may_export(caller))])


def _alert(message: str, color: str):
    return html.Div(message, className=f"alert alert-{color} py-2", id="conversions-alert")


register_refresh(ids.CONVERSIONS_DECISIONS, ids.CONVERSIONS_REFRESH, Input(ids.CONVERSIONS_GROUPS, "selectedRows"),
                 Input(ids.CONVERSIONS_CHANGED, "data"))
# "Every group": the group grid lets go of its choice, and the leads grid lists every group again.
clientside_callback("function (n) { if (n) { dash_ag_grid.getApi('%s').deselectAll(); } return dash_clientside.no_update; }"
                    % ids.CONVERSIONS_GROUPS, Output(ids.CONVERSIONS_SHOW_ALL, "title"),
                    Input(ids.CONVERSIONS_SHOW_ALL, "n_clicks"), prevent_initial_call=True)


@callback(Output(ids.CONVERSIONS_DECISIONS, "getRowsResponse"), Output(ids.CONVERSIONS_TOTAL, "children"),
          Output(ids.CONVERSIONS_DOWNLOAD, "href"), Input(ids.CONVERSIONS_DECISIONS, "getRowsRequest"),
          State(ids.CONVERSIONS_GROUPS, "selectedRows"))
def show_decisions(request, selected):
    key, window = read(decision_key, selected_row(selected)), rows_window(request, DECISION_COLUMNS)
    try:
        rows, total = decision_page(deps().uow, actor(), key, window)
    except Forbidden as exc:
        return NO_ROWS, str(exc), dash.no_update
    rows = [dict(r, company__href=f"/leads/{r['lead_id']}") for r in rows]
    return {"rowData": rows, "rowCount": total}, f"{total:,} rows", export_href("decisions", key_query(key), window)


@callback(Output(ids.CONVERSIONS_CONFIRM, "is_open"), Output(ids.CONVERSIONS_CONFIRM_TEXT, "children"),
          Output(ids.CONVERSIONS_TARGET, "data"), Output(ids.CONVERSIONS_MESSAGE, "children", allow_duplicate=True),
          Input(ids.CONVERSIONS_DECISIONS, "cellClicked"), prevent_initial_call=True)
def ask_to_convert(cell):
    """A click on a row's Convert (or Undo) asks first; the server decides whether the caller may."""
    pressed = clicked(cell, {"action"})
    if pressed is None:
        raise PreventUpdate  # a click elsewhere in the row
    try:
        target = conversion_target(deps().uow, actor(), row_number("row", pressed[1]))
    except (Forbidden, LookupError) as exc:
        return False, "", None, _alert(str(exc), "danger")
    verb = "Undo the conversion of" if target["action"] == "undo" else "Convert"
    return True, f"{verb} lead #{target['lead_id']} {target['company']}?", target, dash.no_update


def _carry_out(target) -> str:
    """Convert or undo the lead the dialog named; the service checks the role and the scope again."""
    target = target if isinstance(target, dict) else {}
    action, lead_id = choice("action", target.get("action"), DONE), optional_id("lead", target.get("lead_id")) or 0
    d = deps()
    if action == "undo":
        conversion_service.undo_conversion(d.uow, actor(), lead_id, clock=d.clock)
        return DONE["undo"].format(lead_id=lead_id, company=target.get("company", ""))
    customer = conversion_service.convert_by_hand(d.uow, actor(), lead_id, d.conversion, clock=d.clock)
    return DONE["convert"].format(lead_id=lead_id, company=target.get("company", ""), customer=customer)


def _label(selected, label) -> str:
    review_ids = [row_number("reply", i) for i in selected_ids("selectedRows", selected, MAX_LABELLED_AT_ONCE)]
    if not review_ids:
        raise LookupError("Choose one or more replies in the list first (the boxes on the left).")
    d = deps()
    return labelled_message(label_replies(d.uow, actor(), review_ids, choice("label", label, LABELS, ""), d.conversion,
                                          clock=d.clock))


@callback(Output(ids.CONVERSIONS_GROUPS, "rowData"), Output(ids.CONVERSIONS_REVIEWS, "rowData"),
          Output(ids.CONVERSIONS_MESSAGE, "children"), Output(ids.CONVERSIONS_CHANGED, "data"),
          Output(ids.CONVERSIONS_CONFIRM, "is_open", allow_duplicate=True),
          Input(ids.CONVERSIONS_CONFIRM_OK, "n_clicks"), Input(ids.CONVERSIONS_CONFIRM_CANCEL, "n_clicks"),
          Input(ids.CONVERSIONS_REVIEW_SAVE, "n_clicks"), State(ids.CONVERSIONS_TARGET, "data"),
          State(ids.CONVERSIONS_REVIEWS, "selectedRows"), State(ids.CONVERSIONS_REVIEW_LABEL, "value"),
          prevent_initial_call=True)
def act(_ok, _cancel, _label_clicks, target, selected, label):
    if ctx.triggered_id == ids.CONVERSIONS_CONFIRM_CANCEL:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update, False
    try:
        done = _label(selected, label) if ctx.triggered_id == ids.CONVERSIONS_REVIEW_SAVE else _carry_out(target)
    except (Forbidden, LookupError, ValueError) as exc:  # InvalidConversion is a ValueError
        return dash.no_update, dash.no_update, _alert(str(exc), "danger"), dash.no_update, False
    uow = deps().uow
    return (decision_groups(uow, actor()), review_rows(review_queue(uow, actor())), _alert(done, "success"), time.time(),
            False)
