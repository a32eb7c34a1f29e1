"""Figures and tables of the analytics pages: one palette, percentages as percentages, a download
button on every table (for callers who may export)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dash_table, dcc, html

from components.analytics_filters import download_link

BLUE, TEAL, ORANGE, GREY = "#0d6efd", "#20c997", "#fd7e14", "#6c757d"
STEP_COLOURS = {"T3": BLUE, "T7": TEAL}
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13)


def _layout(fig: go.Figure, height: int = 340) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=FONT, paper_bgcolor="white",
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.15))
    return fig


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def pct_interval(rate, low, high) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}% ({low * 100:.1f}–{high * 100:.1f})"


def table(table_id: str, rows: list[dict], columns: list[tuple[str, str]], export: str | None, search: str,
          title: str) -> dbc.Card:
    """A card with a title, a download button (None: the caller may not export) and a sortable table."""
    header = html.Div([html.H2(title, className="h6 mb-0"), download_link(export, search) if export else None],
                      className="d-flex justify-content-between align-items-center mb-2")
    grid = dash_table.DataTable(id=table_id, data=rows, columns=[{"name": n, "id": c} for c, n in columns],
                                sort_action="native", page_size=15, style_table={"overflowX": "auto"},
                                style_cell={"textAlign": "right", "padding": "6px"},
                                style_cell_conditional=[{"if": {"column_id": columns[0][0]}, "textAlign": "left"}])
    return dbc.Card(dbc.CardBody([header, grid]), className="shadow-sm mb-4")


def graph(figure: go.Figure, graph_id: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody(dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})),
                    className="shadow-sm mb-4")


def funnel_figure(stages: list[dict]) -> go.Figure:
    fig = go.Figure(go.Funnel(y=[s["stage"] for s in stages], x=[s["count"] for s in stages],
                              # Share of the registered cohort: leads followed up without a sample
                              # reach T+3 without passing "sample delivered", so a share of the
                              # previous stage could exceed 100%.
                              textinfo="value+percent initial", marker=dict(color=BLUE)))
    return _layout(fig, 380)


def steps_figure(steps: list[dict]) -> go.Figure:
    fig = go.Figure([go.Bar(name=s["step"].replace("T", "T+"), x=["Reply rate", "Conversion rate"],
                            y=[s["reply_rate"] or 0, s["conversion_rate"] or 0], marker_color=STEP_COLOURS.get(s["step"], GREY))
                     for s in steps])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%")
    return _layout(fig, 300)


def variants_figure(rows: list[dict]) -> go.Figure:
    """Reply rate per template version and variant with its 95% interval as error bars."""
    names = [f"{r['template_id']} v{r['version'] or '?'} {r['variant']}" for r in rows]
    fig = go.Figure(go.Bar(x=names, y=[r["replied_rate"] or 0 for r in rows], marker_color=BLUE, name="reply rate",
                           error_y=dict(type="data", symmetric=False,
                                        array=[(r["replied_high"] or 0) - (r["replied_rate"] or 0) for r in rows],
                                        arrayminus=[(r["replied_rate"] or 0) - (r["replied_low"] or 0) for r in rows])))
    fig.update_layout(yaxis_tickformat=".0%", yaxis_title="reply rate (95% interval)")
    return _layout(fig)


def roi_figure(months: list[dict]) -> go.Figure:
    x = [m["month"] for m in months]
    fig = go.Figure([go.Bar(name="Attributed revenue", x=x, y=[m["revenue"] for m in months], marker_color=TEAL),
                     go.Bar(name="Cost", x=x, y=[m["cost"] for m in months], marker_color=ORANGE)])
    fig.update_layout(barmode="group", yaxis_title="EUR")
    return _layout(fig)
