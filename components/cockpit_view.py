"""Renders a cockpit read model: KPI cards, the member table, the status mix."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dash_table, dcc, html

from components.kpi import kpi_card, trend
from components.shell import empty_state

STATUS_ORDER = ("REGISTERED", "ACTIVE", "REMINDER", "QUALIFIED", "CONVERTED", "LOST")


def cockpit_body(view) -> html.Div:
    k, p = view.kpis, view.previous
    cards = dbc.Row([
        kpi_card("t3", "T+3 follow-ups", f"{k.t3_sent}", html.Div([html.Span(f"{k.t3_due} due today · ", className="small"), trend(k.t3_sent, p.t3_sent)])),
        kpi_card("t7", "T+7 follow-ups", f"{k.t7_sent}", html.Div([html.Span(f"{k.t7_due} due today · ", className="small"), trend(k.t7_sent, p.t7_sent)])),
        kpi_card("sent", "Sent this week", f"{k.sent_week}", html.Div([html.Span(f"{k.sent_today} today · ", className="small"), trend(k.sent_week, p.sent_week)])),
        kpi_card("conversion", "Conversions", f"{k.conversions}",
                 html.Div([html.Span(f"{100 * k.conversion_rate:.0f}% of {k.replies} replies ({k.positive} positive) · ", className="small"),
                           trend(k.conversions, p.conversions)])),
    ])
    parts = [cards]
    if view.members:
        parts.append(dbc.Card([dbc.CardHeader("Team members this week"), dbc.CardBody(_member_table(view.members))],
                              className="shadow-sm mb-4"))
    parts.append(dbc.Card([dbc.CardHeader("Leads by status"), dbc.CardBody(_status_figure(view.status_counts))],
                          className="shadow-sm"))
    return html.Div(parts)


def _member_table(members: list[dict]) -> dash_table.DataTable:
    columns = [("name", "Member"), ("sent", "Sent"), ("t3_sent", "T+3"), ("t7_sent", "T+7"), ("replies", "Replies"),
               ("positive", "Positive"), ("conversions", "Conversions"), ("conversion_rate", "Conv. %")]
    rows = [dict(m, name=f"[{m['name']}](/?user={m['user_id']})") for m in members]
    return dash_table.DataTable(
        id="cockpit-members", data=rows, sort_action="native", style_as_list_view=True,
        columns=[{"id": c, "name": n, "presentation": "markdown"} if c == "name" else {"id": c, "name": n, "type": "numeric"}
                 for c, n in columns],
        style_cell={"padding": "6px 10px", "textAlign": "left"}, markdown_options={"link_target": "_self"})


def status_figure(counts: dict[str, int]):
    """Leads by status as a bar chart (or an empty state)."""
    return _status_figure(counts)


def _status_figure(counts: dict[str, int]):
    if not any(counts.values()):
        return empty_state("No leads yet", "Leads appear here as soon as they are registered.")
    statuses = [s for s in STATUS_ORDER if counts.get(s)]
    fig = go.Figure(go.Bar(x=statuses, y=[counts[s] for s in statuses], marker_color="#0d6efd"))
    fig.update_layout(margin=dict(l=20, r=20, t=10, b=30), height=260, plot_bgcolor="white")
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, id="cockpit-status-chart")
