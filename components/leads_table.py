"""The leads table: server-side paging and sorting (the page may hold 100,000 leads)."""
from __future__ import annotations

from dash import dash_table

from components import ids

COLUMNS = (("company", "Company"), ("contact_name", "Contact"), ("city", "City"), ("business_type", "Type"),
           ("status", "Status"), ("followup", "Follow-up"), ("next_followup_at", "Next step"), ("score", "Score"),
           ("owner", "Owner"), ("registered_at", "Registered"))
UNSORTABLE = {"contact_name", "followup"}


def leads_table() -> dash_table.DataTable:
    return dash_table.DataTable(
        id=ids.LEADS_TABLE,
        columns=[{"id": c, "name": n, "presentation": "markdown"} if c == "company" else {"id": c, "name": n}
                 for c, n in COLUMNS],
        data=[], page_current=0, page_size=25, page_action="custom", sort_action="custom", sort_mode="single",
        sort_by=[{"column_id": "registered_at", "direction": "desc"}], style_as_list_view=True,
        style_cell={"padding": "6px 10px", "textAlign": "left", "whiteSpace": "nowrap"},
        style_table={"overflowX": "auto"}, markdown_options={"link_target": "_self"},
        css=[{"selector": ".dash-spreadsheet td div", "rule": "line-height: 1.2;"}],
    )


def owner_options(owners: list[tuple[int, str]]) -> list[dict]:
    return [{"label": name, "value": uid} for uid, name in owners]
