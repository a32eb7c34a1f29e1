"""The app shell: navbar with only the pages the caller may open, page headers, honest states."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

# (path, label, page key in domain.roles.Page); a group becomes one dropdown in the navbar.
NAV_ITEMS = (("/", "Cockpit", "cockpit"), ("/leads", "Leads", "leads"), ("/followups", "Follow-ups", "followups"),
             ("/conversions", "Conversions", "conversions"))
NAV_GROUPS = (
    ("Analytics", (("/funnel", "Funnel", "funnel"), ("/templates", "A/B results", "template_stats"),
                   ("/roi", "ROI", "roi"))),
    ("Admin", (("/admin/users", "Users & teams", "admin_users"), ("/admin/templates", "Templates", "admin_templates"),
               ("/admin/rules", "Rules", "admin_rules"), ("/admin/events", "Event catalog", "admin_events"))),
)


def _link(path: str, label: str, key: str) -> dbc.NavItem:
    return dbc.NavItem(dbc.NavLink(label, href=path, active="exact", id=f"nav-{key}"))


def _group(label: str, items: tuple, allowed: set[str]) -> list:
    """A dropdown of the group's pages the caller may open; a lone page stays a plain link."""
    mine = [item for item in items if item[2] in allowed]
    if len(mine) < 2:
        return [_link(*item) for item in mine]
    entries = [dbc.DropdownMenuItem(text, href=path, id=f"nav-{key}") for path, text, key in mine]
    return [dbc.DropdownMenu(entries, label=label, nav=True, in_navbar=True, id=f"nav-group-{label.lower()}")]


def sign_out_form(csrf_token: str) -> html.Form:
    """Sign-out is a POST with the CSRF token (a GET would let any cross-site image sign people out)."""
    return html.Form([dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                      html.Button("Sign out", type="submit", className="dropdown-item", id="nav-logout")],
                     method="POST", action="/logout", className="m-0")


def navbar(display_name: str, role: str, allowed: set[str], csrf_token: str) -> dbc.Navbar:
    links = [_link(*item) for item in NAV_ITEMS if item[2] in allowed]
    for label, items in NAV_GROUPS:
        links += _group(label, items, allowed)
    user_menu = dbc.DropdownMenu(
        label=f"{display_name} · {role}", align_end=True, color="light", size="sm", id="nav-user",
        children=[dbc.DropdownMenuItem("Change password", href="/account/password", external_link=True),
                  dbc.DropdownMenuItem(divider=True),
                  sign_out_form(csrf_token)])
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand([html.Span("FC", className="brand-mark me-2"), "Follow-up Cockpit"], href="/"),
        dbc.Nav(links, navbar=True, className="me-auto"),
        user_menu,
    ], fluid=True), color="white", dark=False, className="border-bottom shadow-sm mb-4", id=ids.NAV)


def page_header(title: str, subtitle: str = "", right=None) -> html.Div:
    return html.Div([
        html.Div([html.H1(title, className="h3 mb-0"), html.Div(subtitle, className="text-secondary")]),
        html.Div(right) if right is not None else None,
    ], className="d-flex justify-content-between align-items-end flex-wrap gap-3 mb-4")


def refusal(message: str = "Your role does not give access to this page.") -> dbc.Alert:
    return dbc.Alert([html.H2("Not available", className="h5"), html.P(message, className="mb-0")],
                     color="warning", className="refusal")


def empty_state(title: str, hint: str) -> html.Div:
    return html.Div([html.Div("∅", className="display-6 text-secondary"), html.H2(title, className="h5"),
                     html.P(hint, className="text-secondary mb-0")], className="text-center py-5 empty-state")
