"""Forms and tables of the Users & teams page."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import client_grid, column, csv_button, header_with
from components.shell import data_area

ROLES = ("admin", "manager", "sales", "analyst", "viewer")
# Every column filters by its text (the list is short: the browser filters and sorts it).
USER_COLUMNS = [column(c, n, w, f, filter_kind="text") for c, n, w, f in (
    ("username", "Username", 120, 1), ("display_name", "Name", 150, 1.5), ("role", "Role", 100, 0.8),
    ("team", "Team", 100, 0.8), ("active", "Access", 110, 0.8))]


def users_table_rows(rows) -> list[dict]:
    return [{"id": r.id, "username": r.username, "display_name": r.display_name, "role": r.role, "team": r.team,
             "active": "active" if r.active else "deactivated"} for r in rows]


def team_list(teams) -> html.Ul:
    return html.Ul([html.Li(name) for _id, name in teams], className="mb-0")


def _field(label, control):
    return html.Div([dbc.Label(label, className="small text-secondary mb-1"), control], className="mb-2")


def _create_form(team_options):
    return dbc.Card([dbc.CardHeader("New user"), dbc.CardBody([
        _field("Username", dbc.Input(id=ids.USERS_NEW_USERNAME, placeholder="e.g. jdoe")),
        _field("Display name", dbc.Input(id=ids.USERS_NEW_NAME, placeholder="Jana Doe")),
        _field("Role", dcc.Dropdown(id=ids.USERS_NEW_ROLE, options=ROLES, value="sales", clearable=False)),
        _field("Team", dcc.Dropdown(id=ids.USERS_NEW_TEAM, options=team_options, placeholder="No team")),
        _field("Initial password", dbc.Input(id=ids.USERS_NEW_PASSWORD, type="password")),
        dbc.Button("Create user", id=ids.USERS_CREATE, color="primary", className="mt-2"),
    ])], className="shadow-sm mb-3")


def _edit_form(rows, team_options):
    users = [{"label": f"{r.display_name} ({r.username})", "value": r.id} for r in rows]
    return dbc.Card([dbc.CardHeader("Change a user"), dbc.CardBody([
        _field("User", dcc.Dropdown(id=ids.USERS_EDIT_USER, options=users)),
        _field("Role", dcc.Dropdown(id=ids.USERS_EDIT_ROLE, options=ROLES, placeholder="unchanged")),
        _field("Team", dcc.Dropdown(id=ids.USERS_EDIT_TEAM, options=team_options, placeholder="unchanged")),
        _field("Access", dcc.Dropdown(id=ids.USERS_EDIT_ACTIVE, options=["active", "deactivated"], placeholder="unchanged")),
        dbc.Button("Save", id=ids.USERS_SAVE, color="primary", className="mt-2"),
    ])], className="shadow-sm mb-3")


def _teams_card(teams):
    return dbc.Card([dbc.CardHeader("Teams"), dbc.CardBody([
        data_area(html.Div(team_list(teams), id=ids.TEAMS_LIST, className="mb-3")),
        dbc.InputGroup([dbc.Input(id=ids.TEAMS_NEW_NAME, placeholder="New team name"),
                        dbc.Button("Add team", id=ids.TEAMS_CREATE, color="secondary")]),
    ])], className="shadow-sm")


def users_admin_view(rows, teams) -> html.Div:
    team_options = [{"label": name, "value": tid} for tid, name in teams]
    table = client_grid(ids.USERS_TABLE, users_table_rows(rows), USER_COLUMNS, csv="users")
    users = dbc.Card(dbc.CardBody([header_with("Users", csv_button(ids.USERS_TABLE, "users")),
                                   data_area(table, {ids.USERS_TABLE: "rowData"})]), className="shadow-sm mb-3")
    return html.Div([html.Div(id=ids.USERS_MESSAGE), dbc.Row([
        dbc.Col(users, lg=8),
        dbc.Col([_create_form(team_options), _edit_form(rows, team_options), _teams_card(teams)], lg=4),
    ])])
