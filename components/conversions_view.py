"""The Conversions page: decisions grouped by kind (the same verdict by the same rule or readiness fact),
the leads of the chosen group one row each (company, why in one line, how often), converting or undoing
from the row (managers), and the replies waiting for a person to label them."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.grids import WORD, client_grid, column, csv_button, header_with, server_grid
from components.shell import data_area
from domain.model import Outcome

LABELS = tuple(label.value for label in Outcome)
# Half the page wide: their minimum widths add up to 560 px (a 1,280 px screen gives the grid 570).
GROUP_COLUMNS = [column("decision", "Decision", 95, 0.8), column("rule", "Decided by", 150, 1.8, tooltip=True),
                 column("leads", "Leads", 75, 0.5, kind="number"), column("decisions", "Decisions", 95, 0.6, kind="number"),
                 column("latest", "Latest", 145, 1)]
# One line per row: the reasons in full on hover. Their minimum widths add up to 1,145 px.
DECISION_COLUMNS = [
    column("latest", "Latest", 150, 0.8, filter_kind="date", sortable=True),
    column("company", "Lead", 170, 1.6, filter_kind="text", link=True, tooltip=True, sortable=True),
    column("status", "Status", 110, 0.7, sortable=True, valueFormatter=WORD),
    column("decision", "Decision", 100, 0.7, sortable=True),
    column("rule", "Decided by", 160, 1.2, tooltip=True), column("why", "Why", 190, 2.6, tooltip=True),
    column("by", "By", 100, 0.7), column("times", "Times", 75, 0.4, kind="number", sortable=True),
    column("action", "", 90, 0.5, cellClass="grid-action", headerTooltip="Convert or undo by hand"),
]
REVIEW_COLUMNS = [column("when", "Replied", 125, 0.8), column("company", "Lead", 130, 1.2, link=True, tooltip=True),
                  column("text", "Reply", 120, 2, tooltip=True), column("suggested", "Reads as", 95, 0.7),
                  column("confidence", "Sure", 60, 0.4, kind="number")]


def review_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "company__href": f"/leads/{r['lead_id']}"} for r in rows]


def _groups_card(groups: list[dict], export: bool) -> dbc.Card:
    grid = client_grid(ids.CONVERSIONS_GROUPS, groups, GROUP_COLUMNS, csv="decision-groups", page_size=10,
                       selection="single")
    show_all = dbc.Button("Every group", id=ids.CONVERSIONS_SHOW_ALL, size="sm", color="secondary", outline=True)
    return dbc.Card(dbc.CardBody([
        header_with("Decisions, grouped", show_all, csv_button(ids.CONVERSIONS_GROUPS, "decision-groups") if export else None),
        html.P("Choose a group to list its leads below.", className="small text-secondary mb-2"),
        data_area(grid, {ids.CONVERSIONS_GROUPS: "rowData"}),
    ]), className="shadow-sm mb-3")


def _review_card(reviews: list[dict], may_label: bool, export: bool) -> dbc.Card:
    grid = client_grid(ids.CONVERSIONS_REVIEWS, review_rows(reviews), REVIEW_COLUMNS, csv="replies-to-label", page_size=10,
                       selection="multiple" if may_label else None)
    form = dbc.InputGroup([dcc.Dropdown(id=ids.CONVERSIONS_REVIEW_LABEL, options=LABELS, placeholder="Label",
                                        style={"minWidth": "12rem"}),
                           dbc.Button("Label the chosen replies", id=ids.CONVERSIONS_REVIEW_SAVE, color="primary")],
                          className="mt-2")
    return dbc.Card(dbc.CardBody([
        header_with(f"Replies waiting for a person ({len(reviews)})",
                    csv_button(ids.CONVERSIONS_REVIEWS, "replies-to-label") if export else None),
        data_area(grid, {ids.CONVERSIONS_REVIEWS: "rowData"}), html.Div(form, hidden=not may_label)]),
        className="shadow-sm mb-3")


def labelled_message(outcome) -> str:
    """What a bulk label did (services.replies.Labelled), in one sentence: the reply labelled, or how
    many, then how many were skipped and why."""
    done = outcome.done
    said = (f"Reply #{done[0]} labelled {outcome.label}." if len(done) == 1 else
            f"{len(done)} replies labelled {outcome.label}." if done else "No reply labelled.")
    if outcome.skipped:
        said += f" {len(outcome.skipped)} skipped: " + "; ".join(outcome.skipped.values()) + "."
    return said


def _decisions_card(export: bool) -> dbc.Card:
    download = html.A("Download CSV", id=ids.CONVERSIONS_DOWNLOAD, href="/export/grid/decisions.csv",
                      download="decisions.csv", className="btn btn-outline-secondary btn-sm", hidden=not export)
    total = html.Span(id=ids.CONVERSIONS_TOTAL, className="text-secondary small")
    return dbc.Card(dbc.CardBody([
        header_with("Leads, one row per lead and kind of decision", total, download),
        data_area(server_grid(ids.CONVERSIONS_DECISIONS, DECISION_COLUMNS, sort=("latest", "desc"), height="30rem"),
                  {ids.CONVERSIONS_DECISIONS: "getRowsResponse"}),
    ]), className="shadow-sm mb-3")


def _confirm_dialog() -> dbc.Modal:
    return dbc.Modal([dbc.ModalHeader(dbc.ModalTitle("Convert by hand")),
                      dbc.ModalBody([html.P(id=ids.CONVERSIONS_CONFIRM_TEXT),
                                     html.P("Converting by hand skips the rules (a duplicate customer still blocks); "
                                            "both are recorded.", className="small text-secondary")]),
                      dbc.ModalFooter([dbc.Button("Cancel", id=ids.CONVERSIONS_CONFIRM_CANCEL, color="secondary", outline=True),
                                       dbc.Button("Yes, do it", id=ids.CONVERSIONS_CONFIRM_OK, color="success")])],
                     id=ids.CONVERSIONS_CONFIRM, is_open=False)


def conversions_view(groups: list[dict], reviews: list[dict], may_label: bool, export: bool) -> html.Div:
    plumbing = [dcc.Store(id=ids.CONVERSIONS_REFRESH), dcc.Store(id=ids.CONVERSIONS_CHANGED),
                dcc.Store(id=ids.CONVERSIONS_TARGET), _confirm_dialog()]  # the server refuses who may not convert
    return html.Div([html.Div(id=ids.CONVERSIONS_MESSAGE), *plumbing,
                     dbc.Row([dbc.Col(_groups_card(groups, export), lg=6), dbc.Col(_review_card(reviews, may_label, export), lg=6)]),
                     _decisions_card(export)])


def lead_conversion_section(lead_id: int, trail: list[dict], may_log: bool) -> dbc.Card:
    """The lead page's part: its conversion decisions, and a form for the owner to log a reply."""
    rows = [html.Li([html.Strong(t["decision"]), f" · {t['when']} · {t['rule']} · {t['by']}",
                     html.Div(t["why"], className="small text-secondary")]) for t in trail]
    form = html.Div([
        dcc.Store(id=ids.LEAD_REPLY_LEAD, data=lead_id),
        dbc.Textarea(id=ids.LEAD_REPLY_TEXT, rows=3, placeholder="What did the lead answer?", className="mb-2"),
        dbc.InputGroup([dcc.Dropdown(id=ids.LEAD_REPLY_LABEL, options=LABELS, placeholder="Label (empty: classify)",
                                     style={"minWidth": "14rem"}),
                        dbc.Button("Log a reply", id=ids.LEAD_REPLY_SAVE, color="primary")]),
        html.Div(id=ids.LEAD_REPLY_MESSAGE, className="mt-2"),
    ]) if may_log else None
    trail_view = html.Ul(rows, className="mb-3", id="lead-decision-trail") if rows else html.P(
        "No conversion decision yet.", className="text-secondary", id="lead-decision-trail")
    return dbc.Card([dbc.CardHeader("Conversion"), dbc.CardBody([trail_view, form])], className="shadow-sm mt-3")
