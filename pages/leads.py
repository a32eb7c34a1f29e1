"""Leads: the leads in the caller's scope in a grid the server pages, sorts and filters. The URL query
presets the filters (?q=, status=, type=, owner=) or names the number a drill-down came from
(?drill=stage|cohort|variant|cockpit and that number's keys, services.drilldown)."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from components import ids
from components.callback_inputs import choice, optional_id, text
from components.grid_inputs import query_values, rows_window
from components.grids import register_refresh
from components.leads_table import download_link, drill_banner, leads_grid, owner_options
from components.shell import page_header, refusal
from domain.roles import Forbidden, may_export
from pages._context import actor, deps
from services.analytics_filters import InvalidFilter
from services.grid_requests import export_href
from services.leads import LEAD_COLUMNS, STATUSES, TYPES, LeadFilters, lead_filters, list_leads, owner_choices

dash.register_page(__name__, path="/leads", name="Leads", title="Leads · Follow-up Cockpit", order=1)
NO_ROWS = {"rowData": [], "rowCount": 0}


def _filters(owners, preset: LeadFilters):
    status = dcc.Dropdown(id=ids.LEADS_STATUS, options=STATUSES, value=preset.status, placeholder="Any status")
    btype = dcc.Dropdown(id=ids.LEADS_TYPE, options=TYPES, value=preset.business_type, placeholder="Any business type")
    owner = dcc.Dropdown(id=ids.LEADS_OWNER, options=owner_options(owners), value=preset.owner, placeholder="Any owner",
                         style={"display": "block" if owners else "none"})
    search = dcc.Input(id=ids.LEADS_SEARCH, type="search", debounce=True, value=preset.search,
                       placeholder="Search name, e-mail, city", className="form-control")
    # The owner filter stays in the page (its callback reads it) but takes no room when hidden.
    cols = [(search, 4), (status, 2), (btype, 3), (owner, 3)] if owners else [(search, 5), (status, 3), (btype, 4), (owner, 0)]
    return html.Div([html.Div(c, className=f"col-md-{w}" if w else "d-none") for c, w in cols], className="row g-2 mb-3")


def _message(text_: str | None):
    return html.Div(text_, className="alert alert-warning py-2", id=ids.LEADS_MESSAGE) if text_ else None


def layout(**query):
    caller = actor()
    try:
        owners = owner_choices(deps().uow, caller)
        (preset, drill), problem = lead_filters(deps(), caller, query), None
    except Forbidden as exc:
        return refusal(str(exc))
    except InvalidFilter as exc:  # a bad link shows every lead in scope and says what it could not apply
        (preset, drill), problem = (LeadFilters(), None), f"Not applied: {exc.name}: {exc.reason}"
    right = html.Div([html.Span(id=ids.LEADS_TOTAL, className="text-secondary"), download_link(may_export(caller))],
                     className="d-flex align-items-center gap-3")
    return html.Div([page_header("Leads", "Every lead in your scope and where it stands in its follow-up sequence", right),
                     _message(problem), drill_banner(drill, "/leads"), dcc.Store(id=ids.LEADS_QUERY, data=dict(preset.drill)),
                     dcc.Store(id=ids.LEADS_REFRESH), _filters(owners, preset), leads_grid()])


register_refresh(ids.LEADS_TABLE, ids.LEADS_REFRESH, Input(ids.LEADS_SEARCH, "value"), Input(ids.LEADS_STATUS, "value"),
                 Input(ids.LEADS_TYPE, "value"), Input(ids.LEADS_OWNER, "value"))


@callback(Output(ids.LEADS_TABLE, "getRowsResponse"), Output(ids.LEADS_TOTAL, "children"),
          Output(ids.LEADS_DOWNLOAD, "href"), Input(ids.LEADS_TABLE, "getRowsRequest"),
          State(ids.LEADS_SEARCH, "value"), State(ids.LEADS_STATUS, "value"), State(ids.LEADS_TYPE, "value"),
          State(ids.LEADS_OWNER, "value"), State(ids.LEADS_QUERY, "data"))
def show_leads(request, search, status, btype, owner, drill):
    filters = LeadFilters(text("search", search), choice("status", status, STATUSES),
                          choice("business type", btype, TYPES), optional_id("owner", owner), query_values("drill", drill))
    window = rows_window(request, LEAD_COLUMNS)
    try:
        page = list_leads(deps(), actor(), filters, window)
    except Forbidden as exc:
        return NO_ROWS, str(exc), dash.no_update
    except InvalidFilter as exc:
        return NO_ROWS, f"{exc.name}: {exc.reason}", dash.no_update
    rows = [dict(r, company__href=f"/leads/{r['id']}") for r in page.rows]
    return {"rowData": rows, "rowCount": page.total}, f"{page.total:,} leads", export_href("leads", filters.query(), window)
