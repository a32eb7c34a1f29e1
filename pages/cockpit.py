"""Cockpit (home): the live follow-up widget of the caller's scope, with a member table for managers.

The numbers are pushed over /stream/cockpit (assets/cockpit_live.js sets the snapshot store, which
re-renders the widget here, scope decided again on the server); an interval is the fallback.
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, html

from components import ids
from components.callback_inputs import choice
from components.cockpit_view import status_figure
from components.cockpit_widget import (PERIOD_ID, REFRESH_ID, SNAPSHOT_ID, STATUS_ID, VIEW_ID, controls, live_plumbing,
                                       widget_body)
from components.shell import page_header, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.cockpit_live import DEFAULT_PERIOD, PERIODS, InvalidView, cockpit_numbers, status_counts, view_id

dash.register_page(__name__, path="/", name="Cockpit", title="Cockpit · Follow-up Cockpit", order=0)


def _as_int(value):
    """An id from the URL or a callback; anything that names no row (also a huge number) is ignored."""
    try:
        return view_id("id", value)
    except InvalidView:
        return None


def layout(team=None, user=None, period=None, **_kwargs):
    team, user = _as_int(team), _as_int(user)
    period = period if period in PERIODS else DEFAULT_PERIOD
    try:
        numbers = cockpit_numbers(deps(), actor(), period, team, user)
        statuses = status_counts(deps(), actor(), team, user)
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([
        page_header(numbers.title, "Follow-ups against the previous period, live", controls(numbers, team)),
        live_plumbing({"team": team, "member": user}),
        html.Div(widget_body(numbers), id=ids.COCKPIT_BODY),
        dbc.Card([dbc.CardHeader("Leads by status"), dbc.CardBody(status_figure(statuses))], className="shadow-sm"),
    ])


@callback(Output(ids.COCKPIT_BODY, "children"), Input(ids.COCKPIT_TEAM, "value"), Input(PERIOD_ID, "value"),
          Input(SNAPSHOT_ID, "data"), Input(REFRESH_ID, "n_intervals"), State(VIEW_ID, "data"),
          prevent_initial_call=True)
def refresh(team_id=None, period=None, _snapshot=None, _tick=None, view=None):
    """Any trigger re-reads the numbers; the scope comes from the signed-in caller, never the client."""
    view = view if isinstance(view, dict) else {}
    team_id = _as_int(team_id)
    member = _as_int(view.get("member")) if team_id == _as_int(view.get("team")) else None
    try:
        numbers = cockpit_numbers(deps(), actor(), choice("period", period, PERIODS, DEFAULT_PERIOD), team_id, member)
    except Forbidden as exc:
        return refusal(str(exc))
    return widget_body(numbers)


# Opens (or re-points) the one EventSource of this tab; turns the interval off while streaming.
clientside_callback(
    dash.ClientsideFunction(namespace="cockpit", function_name="connect"),
    Output(STATUS_ID, "children"), Output(REFRESH_ID, "disabled"),
    Input(PERIOD_ID, "value"), Input(ids.COCKPIT_TEAM, "value"), State(VIEW_ID, "data"),
)
