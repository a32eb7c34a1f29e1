"""The Conversions page: recent decisions (why, by which rule and version), the review queue, and
manual convert/undo for managers."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dash_table, dcc, html

from components import ids
from domain.model import Outcome

LABELS = tuple(label.value for label in Outcome)
_CELL = {"padding": "6px 10px", "textAlign": "left", "whiteSpace": "normal", "height": "auto"}
DECISION_COLUMNS = (("when", "When"), ("company", "Lead"), ("decision", "Decision"), ("rule", "Rule / fact"),
                    ("why", "Why"), ("by", "By"))


def decisions_table(rows: list[dict], table_id: str = ids.CONVERSIONS_DECISIONS) -> dash_table.DataTable:
    return dash_table.DataTable(id=table_id, data=rows, columns=[{"id": c, "name": n} for c, n in DECISION_COLUMNS],
                                style_as_list_view=True, style_cell=_CELL, page_size=15, sort_action="native")


def review_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "lead": f"#{r['lead_id']} {r['company']}"} for r in rows]


def _review_card(reviews: list[dict], may_label: bool):
    table = dash_table.DataTable(
        id=ids.CONVERSIONS_REVIEWS, data=review_rows(reviews), style_as_list_view=True, style_cell=_CELL, page_size=10,
        columns=[{"id": c, "name": n} for c, n in (("id", "#"), ("when", "Replied"), ("lead", "Lead"), ("text", "Reply"),
                                                   ("suggested", "Reads as"), ("confidence", "Sure"))])
    form = dbc.InputGroup([dbc.Input(id=ids.CONVERSIONS_REVIEW_ID, type="number", placeholder="Reply #"),
                           dcc.Dropdown(id=ids.CONVERSIONS_REVIEW_LABEL, options=LABELS, placeholder="Label",
                                        style={"minWidth": "12rem"}),
                           dbc.Button("Label", id=ids.CONVERSIONS_REVIEW_SAVE, color="primary")], className="mt-2")
    return dbc.Card([dbc.CardHeader(f"Replies waiting for a person ({len(reviews)})"),
                     dbc.CardBody([table, form if may_label else None])], className="shadow-sm mb-3")


def _manual_card():
    return dbc.Card([dbc.CardHeader("By hand (managers)"), dbc.CardBody([
        dbc.InputGroup([dbc.Input(id=ids.CONVERSIONS_LEAD, type="number", placeholder="Lead #"),
                        dbc.Button("Convert", id=ids.CONVERSIONS_CONVERT, color="success"),
                        dbc.Button("Undo conversion", id=ids.CONVERSIONS_UNDO, color="outline-danger")]),
        html.Div("Converting by hand skips the rules (a duplicate customer still blocks); both are recorded.",
                 className="small text-secondary mt-2"),
    ])], className="shadow-sm mb-3")


def conversions_view(decisions: list[dict], reviews: list[dict], may_label: bool, may_convert: bool) -> html.Div:
    recent = dbc.Card([dbc.CardHeader("Recent decisions"), dbc.CardBody(decisions_table(decisions))], className="shadow-sm mb-3")
    side = [_review_card(reviews, may_label), _manual_card() if may_convert else None]
    return html.Div([html.Div(id=ids.CONVERSIONS_MESSAGE), dbc.Row([dbc.Col(recent, lg=7), dbc.Col(side, lg=5)])])


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
