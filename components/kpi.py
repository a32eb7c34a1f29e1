"""KPI cards: a number, its label, and a detail line below it (the live widget adds the trend)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def kpi_card(key: str, label: str, value: str, detail=None) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="kpi-label text-secondary text-uppercase small"),
        html.Div(value, className="kpi-value fs-2 fw-semibold", id=f"kpi-{key}"),
        html.Div(detail) if detail is not None else None,
    ]), className="h-100 shadow-sm kpi-card"), xs=12, sm=6, lg=3, className="mb-3")
