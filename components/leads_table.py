"""The leads table: server-side paging and sorting (the page may hold 100,000 leads)."""
from __future__ import annotations

from dash import dash_table

from components import ids

# The server sorts by whichever column is clicked: each is a key of data.repositories.LEAD_SORT_COLUMNS.
COLUMNS = (("company", "Company"), ("contact_name", "Contact"), ("city", "City"), ("business_type", "Type"),
           ("status", "Status"), ("followup", "Follow-up"), ("next_followup_at", "Next step"), ("score", "Score"),
           ("owner", "Owner"), ("registered_at", "Registered"))


def leads_table() -> dash_table.DataTable:
    return dash_table.DataTable(
        id=ids.LEADS_TABLE,
        columns=[{"id": c, "name": n, "presentation": "markdown"} if c == "company" else {"id": c, "name": n}
                 for c, n in COLUMNS],
        data=[], page_current=0, page_size=25, page_action="custom", sort_action="custom", sort_mode="single",
        sort_by=[{"column_id": "registered_at", "direction": "desc"}], style_as_list_view=True,
        # The page's own font, not the table's monospace default; long names end in an ellipsis so
        # the table fits a laptop screen without scrolling sideways.
        style_cell={"padding": "6px 8px", "textAlign": "left", "whiteSpace": "nowrap", "overflow": "hidden",
                    "textOverflow": "ellipsis", "maxWidth": "180px", "fontFamily": "var(--bs-body-font-family)",
                    "fontSize": ".9rem"},
        style_cell_conditional=[{"if": {"column_id": "company"}, "maxWidth": "260px"}],
        style_header={"fontWeight": 600},
        style_table={"overflowX": "auto"}, markdown_options={"link_target": "_self"},
        tooltip_delay=300, tooltip_duration=None,
        # Markdown cells wrap their link in a <p> with a bottom margin: without this the link sits
        # higher than the text of the other cells.
        css=[{"selector": ".dash-spreadsheet td div", "rule": "line-height: 1.2;"},
             {"selector": ".dash-spreadsheet td .cell-markdown p", "rule": "margin: 0;"}],
    )


def owner_options(owners: list[tuple[int, str]]) -> list[dict]:
    return [{"label": name, "value": uid} for uid, name in owners]
