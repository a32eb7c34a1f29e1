"""KPI cards: a number, its label, and how it moved against the previous period."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def trend(current: float, previous: float) -> html.Span:
    if previous == 0 and current == 0:
        return html.Span("no change", className="text-secondary small")
    if previous == 0:
        return html.Span("new this period", className="text-secondary small")
    change = (current - previous) / previous * 100
    arrow, color = ("▲", "text-success") if change > 0 else ("▼", "text-danger") if change < 0 else ("■", "text-secondary")
    return html.Span(f"{arrow} {abs(change):.0f}% vs last week", className=f"{color} small")


def kpi_card(key: str, label: str, value: str, detail=None) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="kpi-label text-secondary text-uppercase small"),
        html.Div(value, className="kpi-value fs-2 fw-semibold", id=f"kpi-{key}"),
        html.Div(detail) if detail is not None else None,
    ]), className="h-100 shadow-sm kpi-card"), xs=12, sm=6, lg=3, className="mb-3")
