"""The app shell: navbar with only the pages the caller may open, page headers, honest states."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

# (path, label, page key in domain.roles.Page); a group becomes one dropdown in the navbar.
NAV_ITEMS = (("/", "Cockpit", "cockpit"), ("/leads", "Leads", "leads"), ("/followups", "Follow-ups", "followups"),
             ("/conversions", "Conversions", "conversions"), ("/tasks", "Tasks", "tasks"))
NAV_GROUPS = (
    ("Analytics", (("/funnel", "Funnel", "funnel"), ("/templates", "A/B results", "template_stats"),
                   ("/roi", "ROI", "roi"))),
    ("Admin", (("/admin/users", "Users & teams", "admin_users"), ("/admin/templates", "Templates", "admin_templates"),
               ("/admin/rules", "Rules", "admin_rules"), ("/admin/events", "Event catalog", "admin_events"),
               ("/admin/operations", "Operations", "admin_operations"))),
)


def _link(path: str, label: str, key: str) -> dbc.NavItem:
    return dbc.NavItem(dbc.NavLink(label, href=path, active="exact", id=f"nav-{key}"))


def nav_entries(allowed: set[str]) -> list[tuple[str, tuple]]:
    """The pages the caller may open, in navbar order, for the Dash pages and the server-rendered ones
    (web/templates/_navbar.html) alike: ("link", (path, label, key)) or ("group", (label, items)).
    A group the caller may open one page of stays a plain link."""
    entries = [("link", item) for item in NAV_ITEMS if item[2] in allowed]
    for label, items in NAV_GROUPS:
        mine = tuple(item for item in items if item[2] in allowed)
        entries += [("group", (label, mine))] if len(mine) > 1 else [("link", item) for item in mine]
    return entries


def _group(label: str, items: tuple) -> dbc.DropdownMenu:
    entries = [dbc.DropdownMenuItem(text, href=path, id=f"nav-{key}") for path, text, key in items]
    return dbc.DropdownMenu(entries, label=label, nav=True, in_navbar=True, id=f"nav-group-{label.lower()}")


def sign_out_form(csrf_token: str) -> html.Form:
    """Sign-out is a POST with the CSRF token (a GET would let any cross-site image sign people out)."""
    return html.Form([dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                      html.Button("Sign out", type="submit", className="dropdown-item", id="nav-logout")],
                     method="POST", action="/logout", className="m-0")


def navbar(display_name: str, role: str, allowed: set[str], csrf_token: str) -> dbc.Navbar:
    links = [_link(*entry) if kind == "link" else _group(*entry) for kind, entry in nav_entries(allowed)]
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


def data_area(children, targets: dict | None = None) -> dcc.Loading:
    """A spinner over what callbacks fill with data, never over the controls that ask for it. It shows
    only when loading takes a noticeable while, over the old content dimmed, so a live update that
    lands quickly does not flicker. `targets` ({id: property}) narrows what counts as loading."""
    return dcc.Loading(children, type="dot", delay_show=300, target_components=targets, className="data-area",
                       overlay_style={"visibility": "visible", "opacity": 0.5})
