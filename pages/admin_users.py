"""Users & teams (admins only): list users, create users and teams, change role, team, active flag."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, html

from components import ids
from components.users_admin import team_list, users_admin_view, users_table_rows
from components.shell import page_header, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services import users as users_service

dash.register_page(__name__, path="/admin/users", name="Users & teams", title="Users · Follow-up Cockpit", order=9)


def layout(**_kwargs):
    try:
        rows = users_service.list_users(deps().uow, actor())
    except Forbidden as exc:
        return refusal(str(exc))
    teams = users_service.list_teams(deps().uow, actor())
    return html.Div([page_header("Users & teams", "Who may sign in, with which role, in which team"),
                     users_admin_view(rows, teams)])


def _refresh(message: str, color: str):
    rows = users_service.list_users(deps().uow, actor())
    teams = users_service.list_teams(deps().uow, actor())
    return users_table_rows(rows), team_list(teams), html.Div(message, className=f"alert alert-{color} py-2")


@callback(Output(ids.USERS_TABLE, "rowData"), Output(ids.TEAMS_LIST, "children"), Output(ids.USERS_MESSAGE, "children"),
          Input(ids.USERS_CREATE, "n_clicks"), Input(ids.USERS_SAVE, "n_clicks"), Input(ids.TEAMS_CREATE, "n_clicks"),
          State(ids.USERS_NEW_USERNAME, "value"), State(ids.USERS_NEW_NAME, "value"), State(ids.USERS_NEW_ROLE, "value"),
          State(ids.USERS_NEW_TEAM, "value"), State(ids.USERS_NEW_PASSWORD, "value"),
          State(ids.USERS_EDIT_USER, "value"), State(ids.USERS_EDIT_ROLE, "value"), State(ids.USERS_EDIT_TEAM, "value"),
          State(ids.USERS_EDIT_ACTIVE, "value"), State(ids.TEAMS_NEW_NAME, "value"), prevent_initial_call=True)
def change_users(_create, _save, _team, username, name, role, team_id, password, edit_user, edit_role, edit_team,
                 edit_active, team_name):
    """One callback for the three forms: they all refresh the same table, list and message."""
    uow, caller = deps().uow, actor()
    try:
        if ctx.triggered_id == ids.USERS_CREATE:
            users_service.create_user(uow, caller, username, name, role, team_id, password)
            return _refresh(f"User {username} created.", "success")
        if ctx.triggered_id == ids.USERS_SAVE:
            if edit_user is None:
                raise users_service.InvalidInput("Choose a user first.")
            active = None if edit_active is None else edit_active == "active"
            users_service.update_user(uow, caller, int(edit_user), role=edit_role, team_id=edit_team, active=active)
            return _refresh("Saved.", "success")
        users_service.create_team(uow, caller, team_name)
        return _refresh(f"Team {team_name} created.", "success")
    except (users_service.InvalidInput, Forbidden) as exc:
        return dash.no_update, dash.no_update, html.Div(str(exc), className="alert alert-danger py-2")
