"""The event log and the event catalog of /admin/events, as grids: the log paged, sorted and filtered on
the server (it holds every event), the catalog in the browser (a few dozen types)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.grids import client_grid, column, csv_button, header_with, server_grid
from components.shell import data_area

# Each column offers the one filter the server runs for it (services.events_grid): part of the type, an
# exact value, a day or a range of days. Their minimum widths add up to 1,160 px.
_EXACT = {"filterParams": {"filterOptions": ["equals"], "maxNumConditions": 1, "buttons": ["reset"]}}
LOG_COLUMNS = [
    column("seq", "#", 75, 0.4, kind="number", sortable=True),
    column("time", "Time", 175, 0.9, filter_kind="date", sortable=True),
    column("type", "Type", 170, 1.4, filter_kind="text", sortable=True, tooltip=True,
           filterParams={"filterOptions": ["contains"], "maxNumConditions": 1, "buttons": ["reset"]}),
    column("lead_id", "Lead", 85, 0.5, kind="number", filter_kind="number", sortable=True, link=True, **_EXACT),
    column("business_type", "Business type", 140, 0.7, filter_kind="text", sortable=True, **_EXACT),
    column("step", "Step", 80, 0.4, filter_kind="text", sortable=True, **_EXACT),
    column("template_id", "Template", 140, 0.9, filter_kind="text", sortable=True, tooltip=True, **_EXACT),
    column("variant", "Variant", 95, 0.4, filter_kind="text", sortable=True, **_EXACT),
    column("label", "Label", 100, 0.6, filter_kind="text", sortable=True, **_EXACT),
    column("source", "Source", 100, 1, tooltip=True),
]
# The type is what a reader looks for: whole, on one line; the other columns wrap.
CATALOG_COLUMNS = [column("type", "Type", 290, 1.2), column("meaning", "Meaning", 240, 2, wrap=True),
                   column("producer", "Producer", 150, 0.8, wrap=True), column("consumers", "Consumers", 150, 1, wrap=True),
                   column("fields", "Data fields (* required)", 220, 1.6, wrap=True)]


def event_log_card(export: bool) -> dbc.Card:
    download = html.A("Download CSV", id=ids.EVENTS_LOG_DOWNLOAD, href="/export/grid/events.csv", download="event-log.csv",
                      className="btn btn-outline-secondary btn-sm", hidden=not export)
    total = html.Span(id=ids.EVENTS_LOG_TOTAL, className="text-secondary small")
    return dbc.Card(dbc.CardBody([header_with("Event log", total, download),
                                  data_area(server_grid(ids.EVENTS_LOG, LOG_COLUMNS, sort=("seq", "desc"), height="30rem"),
                                            {ids.EVENTS_LOG: "getRowsResponse"})]),
                    className="shadow-sm mb-4")


def catalog_card(rows: list[dict], export: bool) -> dbc.Card:
    grid = client_grid(ids.EVENTS_CATALOG, rows, CATALOG_COLUMNS, csv="event-catalog", page_size=None, row_id="type")
    return dbc.Card(dbc.CardBody([header_with("Event catalog", csv_button(ids.EVENTS_CATALOG, "event-catalog") if export else None),
                                  grid]), className="shadow-sm mb-4")
