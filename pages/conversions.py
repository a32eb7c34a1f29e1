"""Conversions: recent decisions in scope, the review queue, manual convert and undo."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html

from components import ids
from components.conversions_view import conversions_view, review_rows
from components.shell import page_header, refusal
from domain.roles import Forbidden, may_edit_leads
from pages._context import actor, deps
from services import conversions as conversion_service
from services.conversion_views import may_convert_by_hand, recent_decisions, review_queue
from services.replies import label_reply

dash.register_page(__name__, path="/conversions", name="Conversions", title="Conversions · Follow-up Cockpit", order=5)


def layout(**_kwargs):
    caller = actor()
    try:
        decisions, reviews = recent_decisions(deps().uow, caller), review_queue(deps().uow, caller)
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([page_header("Conversions", "Which replies turned leads into customers, and why"),
                     conversions_view(decisions, reviews, may_edit_leads(caller), may_convert_by_hand(caller))])


def _refresh(message: str, color: str):
    d = deps()
    return (recent_decisions(d.uow, actor()), review_rows(review_queue(d.uow, actor())),
            html.Div(message, className=f"alert alert-{color} py-2", id="conversions-alert"))


@callback(Output(ids.CONVERSIONS_DECISIONS, "data"), Output(ids.CONVERSIONS_REVIEWS, "data"),
          Output(ids.CONVERSIONS_MESSAGE, "children"),
          Input(ids.CONVERSIONS_REVIEW_SAVE, "n_clicks"), Input(ids.CONVERSIONS_CONVERT, "n_clicks"),
          Input(ids.CONVERSIONS_UNDO, "n_clicks"),
          State(ids.CONVERSIONS_REVIEW_ID, "value"), State(ids.CONVERSIONS_REVIEW_LABEL, "value"),
          State(ids.CONVERSIONS_LEAD, "value"), prevent_initial_call=True)
def act(_label, _convert, _undo, review_id, label, lead_id):
    d, caller = deps(), actor()
    setup = d.conversion
    try:
        if ctx.triggered_id == ids.CONVERSIONS_REVIEW_SAVE:
            label_reply(d.uow, caller, int(review_id or 0), label or "", setup, clock=d.clock)
            return _refresh(f"Reply #{review_id} labelled {label}.", "success")
        if ctx.triggered_id == ids.CONVERSIONS_CONVERT:
            customer = conversion_service.convert_by_hand(d.uow, caller, int(lead_id or 0), setup, clock=d.clock)
            return _refresh(f"Lead #{lead_id} is now customer #{customer}.", "success")
        conversion_service.undo_conversion(d.uow, caller, int(lead_id or 0), clock=d.clock)
        return _refresh(f"Conversion of lead #{lead_id} undone.", "success")
    except (Forbidden, LookupError, ValueError) as exc:  # InvalidConversion is a ValueError
        return dash.no_update, dash.no_update, html.Div(str(exc), className="alert alert-danger py-2", id="conversions-alert")
