"""Leads: a searchable, sortable, server-paged table of the leads in the caller's scope."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from components import ids
from components.callback_inputs import choice, optional_id, text, whole
from components.leads_table import leads_table, owner_options
from components.shell import page_header, refusal
from domain.model import BusinessType, LeadStatus
from domain.roles import Forbidden
from pages._context import actor, deps
from services.leads import PAGE_SIZES, list_leads, owner_choices

STATUSES, TYPES = [s.value for s in LeadStatus], [b.value for b in BusinessType]
dash.register_page(__name__, path="/leads", name="Leads", title="Leads · Follow-up Cockpit", order=1)


def _filters(owners):
    status = dcc.Dropdown(id=ids.LEADS_STATUS, options=STATUSES, placeholder="Any status")
    btype = dcc.Dropdown(id=ids.LEADS_TYPE, options=TYPES, placeholder="Any business type")
    owner = dcc.Dropdown(id=ids.LEADS_OWNER, options=owner_options(owners), placeholder="Any owner",
                         style={"display": "block" if owners else "none"})
    search = dcc.Input(id=ids.LEADS_SEARCH, type="search", debounce=True, placeholder="Search name, e-mail, city",
                       className="form-control")
    # The owner filter stays in the page (its callback reads it) but takes no room when hidden.
    cols = [(search, 4), (status, 2), (btype, 3), (owner, 3)] if owners else [(search, 5), (status, 3), (btype, 4), (owner, 0)]
    return html.Div([html.Div(c, className=f"col-md-{w}" if w else "d-none") for c, w in cols], className="row g-2 mb-3")


def layout(**_kwargs):
    try:
        owners = owner_choices(deps().uow, actor())
    except Forbidden as exc:
        return refusal(str(exc))
    return html.Div([page_header("Leads", "Every lead in your scope and where it stands in its follow-up sequence",
                                 html.Span(id=ids.LEADS_TOTAL, className="text-secondary")),
                     _filters(owners), leads_table()])


@callback(Output(ids.LEADS_TABLE, "data"), Output(ids.LEADS_TABLE, "page_count"), Output(ids.LEADS_TOTAL, "children"),
          Input(ids.LEADS_SEARCH, "value"), Input(ids.LEADS_STATUS, "value"), Input(ids.LEADS_TYPE, "value"),
          Input(ids.LEADS_OWNER, "value"), Input(ids.LEADS_TABLE, "page_current"), Input(ids.LEADS_TABLE, "page_size"),
          Input(ids.LEADS_TABLE, "sort_by"))
def show_leads(search, status, btype, owner, page, page_size, sort_by):
    sort = (sort_by or [{"column_id": "registered_at", "direction": "desc"}])[0]
    try:
        result = list_leads(deps().uow, actor(), search=text("search", search), status=choice("status", status, STATUSES),
                            business_type=choice("business type", btype, TYPES), user_id=optional_id("owner", owner),
                            sort_by=sort["column_id"], descending=sort["direction"] == "desc",
                            page=whole("page", page, 0, highest=10**6), page_size=choice("page size", page_size, PAGE_SIZES, 25))
    except Forbidden:
        return [], 1, "not available"
    rows = [dict(r, company=f"[{r['company']}](/leads/{r['id']})") for r in result.rows]
    return rows, result.page_count, f"{result.total:,} leads"
