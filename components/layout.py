"""The layout around every page: the navbar for the signed-in caller, then the page container."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import g, has_request_context
from flask_wtf.csrf import generate_csrf

from components import ids
from components.shell import navbar
from domain.roles import Page, may_open


def allowed_pages(actor) -> set[str]:
    """The page keys (domain.roles.Page values) the caller may open: what the navbar offers."""
    return {p.value for p in Page if may_open(actor, p)}


def app_layout():
    actor = g.get("actor") if has_request_context() else None
    if actor is None:  # Dash validates the layout once outside any sign-in; show no navigation then
        return html.Div([dcc.Location(id=ids.URL), dash.page_container])
    name = g.get("display_name") or actor.username
    return html.Div([
        dcc.Location(id=ids.URL),
        navbar(name, actor.role.value, allowed_pages(actor), generate_csrf()),  # the sign-out form's token
        dbc.Container(dash.page_container, fluid="xxl", className="pb-5"),
    ])
