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
from components.shell import data_area, page_header, refusal
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


def _member_in_view(team_id, view) -> int | None:
    """The member the page was opened for, while the team picker still shows that member's team."""
    view = view if isinstance(view, dict) else {}
    return _as_int(view.get("member")) if team_id == _as_int(view.get("team")) else None


def layout(team=None, user=None, period=None, **_kwargs):
    team, user = _as_int(team), _as_int(user)
    period = period if period in PERIODS else DEFAULT_PERIOD
    try:
        numbers = cockpit_numbers(deps(), actor(), period, team, user)
        statuses = status_counts(deps(), actor(), team, user)
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([
        page_header(html.Span(numbers.title, id=ids.COCKPIT_TITLE), "Follow-ups against the previous period, live",
                    controls(numbers, team)),
        live_plumbing({"team": team, "member": user}),
        data_area(html.Div(widget_body(numbers), id=ids.COCKPIT_BODY)),
        dbc.Card([dbc.CardHeader("Leads by status"),
                  dbc.CardBody(data_area(html.Div(status_figure(statuses), id=ids.COCKPIT_STATUS)))], className="shadow-sm"),
    ])


@callback(Output(ids.COCKPIT_BODY, "children"), Output(ids.COCKPIT_TITLE, "children"),
          Input(ids.COCKPIT_TEAM, "value"), Input(PERIOD_ID, "value"),
          Input(SNAPSHOT_ID, "data"), Input(REFRESH_ID, "n_intervals"), State(VIEW_ID, "data"),
          prevent_initial_call=True)
def refresh(team_id=None, period=None, _snapshot=None, _tick=None, view=None):
    """Any trigger re-reads the numbers; the scope comes from the signed-in caller, never the client."""
    team_id = _as_int(team_id)
    try:
        numbers = cockpit_numbers(deps(), actor(), choice("period", period, PERIODS, DEFAULT_PERIOD), team_id,
                                  _member_in_view(team_id, view))
    except Forbidden as exc:
        return refusal(str(exc)), dash.no_update
    return widget_body(numbers), numbers.title


@callback(Output(ids.COCKPIT_STATUS, "children"), Input(ids.COCKPIT_TEAM, "value"), State(VIEW_ID, "data"),
          prevent_initial_call=True)
def refresh_statuses(team_id=None, view=None):
    """The status mix follows the team picker; it is not pushed live (a count over the leads table)."""
    team_id = _as_int(team_id)
    try:
        return status_figure(status_counts(deps(), actor(), team_id, _member_in_view(team_id, view)))
    except Forbidden as exc:
        return refusal(str(exc))


# Opens (or re-points) the one EventSource of this tab; turns the interval off while streaming.
clientside_callback(
    dash.ClientsideFunction(namespace="cockpit", function_name="connect"),
    Output(STATUS_ID, "children"), Output(REFRESH_ID, "disabled"),
    Input(PERIOD_ID, "value"), Input(ids.COCKPIT_TEAM, "value"), State(VIEW_ID, "data"),
)
