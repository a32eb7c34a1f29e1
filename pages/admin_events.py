"""Event catalog (admins, analysts): every event type, its producer, consumers and data fields."""
from __future__ import annotations

import dash
from dash import dash_table, html

from components.shell import page_header, refusal
from domain.roles import Forbidden, Page, require
from pages._context import actor
from pipelines.catalog import catalog_json

dash.register_page(__name__, path="/admin/events", name="Event catalog", title="Events · Follow-up Cockpit", order=10)

COLUMNS = (("type", "Type"), ("meaning", "Meaning"), ("producer", "Producer"), ("consumers", "Consumers"),
           ("fields", "Data fields (* required)"))


def _row(entry: dict) -> dict:
    required = set(entry["schema"].get("required", []))
    return {"type": entry["type"], "meaning": entry["meaning"], "producer": ", ".join(entry["producer"]),
            "consumers": ", ".join(entry["consumers"]),
            "fields": ", ".join(f"{k}{'*' if k in required else ''}" for k in entry["schema"]["properties"])}


def layout(**_kwargs):
    try:
        require(actor(), Page.ADMIN_EVENTS)
    except Forbidden as exc:
        return refusal(str(exc))
    table = dash_table.DataTable(
        id="events-catalog", data=[_row(e) for e in catalog_json()], columns=[{"id": c, "name": n} for c, n in COLUMNS],
        style_as_list_view=True, sort_action="native", style_cell={"padding": "6px 10px", "textAlign": "left",
                                                                   "whiteSpace": "normal", "maxWidth": "28rem"})
    return html.Div([page_header("Event catalog", "CloudEvents 1.0 types; the same list as JSON at GET /api/events/catalog"),
                     table])
