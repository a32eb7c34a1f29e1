"""Cockpit (home): the follow-up numbers of the caller's scope, with a member table for managers."""
from __future__ import annotations

import dash
from dash import Input, callback, dcc, html

from components import ids
from components.cockpit_view import cockpit_body
from components.shell import page_header, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.cockpit import cockpit_view

dash.register_page(__name__, path="/", name="Cockpit", title="Cockpit · Follow-up Cockpit", order=0)


def _as_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def layout(team=None, user=None, **_kwargs):
    try:
        view = cockpit_view(deps().uow, actor(), _as_int(team), _as_int(user), clock=deps().clock)
    except Forbidden as exc:
        return refusal(str(exc))
    picker = None
    if view.team_choices:
        picker = dcc.Dropdown(id=ids.COCKPIT_TEAM, options=[{"label": n, "value": i} for i, n in view.team_choices],
                              value=_as_int(team), placeholder="All teams", clearable=True, style={"minWidth": "14rem"})
    return html.Div([page_header(view.title, "Follow-ups this week, against last week", picker),
                     html.Div(cockpit_body(view), id=ids.COCKPIT_BODY)])


@callback(dash.Output(ids.COCKPIT_BODY, "children"), Input(ids.COCKPIT_TEAM, "value"), prevent_initial_call=True)
def choose_team(team_id):
    try:
        return cockpit_body(cockpit_view(deps().uow, actor(), _as_int(team_id), None, clock=deps().clock))
    except Forbidden as exc:
        return refusal(str(exc))
