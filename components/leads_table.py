"""The leads grid: paged, sorted and filtered on the server (the page may hold 100,000 leads).

The server sorts by whichever column is clicked (each is a key of data.lead_grid.LEAD_SORT_COLUMNS) and
filters the columns that have a filter. The minimum widths add up to 1,165 px: the grid fits a
1,280 px screen whole, and wider screens give the room to company, contact and city.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import WORD, column, server_grid
from components.shell import data_area

# Status and business type are codes (REGISTERED); the grid shows them as words (Registered).
COLUMNS = [
    column("company", "Company", 160, 2.2, filter_kind="text", link=True, tooltip=True),
    column("contact_name", "Contact", 115, 1.5, filter_kind="text", tooltip=True),
    column("city", "City", 90, 1.2, filter_kind="text", tooltip=True),
    column("business_type", "Type", 100, 0.8, valueFormatter=WORD),
    column("status", "Status", 100, 0.8, valueFormatter=WORD),
    column("followup", "Follow-up", 115, 0.8),
    column("next_followup_at", "Next step", 150, 0.8, filter_kind="date"),
    column("score", "Score", 85, 0.4, kind="number", filter_kind="number"),
    column("owner", "Owner", 105, 1.2, tooltip=True),
    # the day is enough in a list (the time shows on hover and in the CSV)
    column("registered_at", "Registered", 145, 0.8, filter_kind="date", tooltip=True,
           valueFormatter={"function": "params.value ? params.value.slice(0, 10) : ''"}),
]
for _col in COLUMNS:
    _col["sortable"] = True


def leads_grid():
    return data_area(server_grid(ids.LEADS_TABLE, COLUMNS, sort=("registered_at", "desc")),
                     {ids.LEADS_TABLE: "getRowsResponse"})


def download_link(may_export: bool) -> html.A:
    """The CSV of what the grid shows; the grid's callback keeps its address in step with the grid."""
    return html.A("Download CSV", id=ids.LEADS_DOWNLOAD, href="/export/grid/leads.csv", download="leads.csv",
                  className="btn btn-outline-secondary btn-sm", hidden=not may_export)


def drill_banner(drill, clear_href: str) -> dbc.Alert | None:
    """What the grid is narrowed to, with the number it came from and the way back."""
    if drill is None:
        return None
    listed = len(drill.lead_ids)
    count = (f"{listed:,} leads" if drill.unit == "leads" or drill.behind == listed
             else f"{listed:,} leads behind {drill.behind:,} {drill.unit}")
    return dbc.Alert([html.Strong("Drill-down: "), html.Span(drill.label, id=ids.LEADS_DRILL_LABEL), " · ",
                      html.Span(count, id=ids.LEADS_DRILL_COUNT), " · ",
                      dcc.Link("back to the numbers", href=drill.back, className="alert-link"), " · ",
                      dcc.Link("show every lead", href=clear_href, className="alert-link")],
                     color="info", className="py-2", id=ids.LEADS_DRILL)


def owner_options(owners: list[tuple[int, str]]) -> list[dict]:
    return [{"label": name, "value": uid} for uid, name in owners]
