"""Figures and tables of the analytics pages: one palette, percentages as percentages, a download
button on every table (for callers who may export), and numbers that open the leads behind them
(rows carry "<column>__href" where the caller may drill down)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc

from components.analytics_filters import download_link
from components.grids import client_grid, column, csv_button, header_with

BLUE, TEAL, ORANGE, GREY = "#0d6efd", "#20c997", "#fd7e14", "#6c757d"
STEP_COLOURS = {"T3": BLUE, "T7": TEAL}
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13)


def _figure(traces: list[dict], height: int = 340, **layout) -> dict:
    """A plotly figure as a plain dict: go.Figure validates every property, which cost more than the
    query behind the chart."""
    return {"data": traces, "layout": {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "font": FONT,
                                       "paper_bgcolor": "white", "plot_bgcolor": "white",
                                       "legend": {"orientation": "h", "y": -0.15}, **layout}}


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def pct_interval(rate, low, high) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}% ({low * 100:.1f}–{high * 100:.1f})"


# A rate held as a fraction, shown as a percentage; the grid sorts by the number. No value: a dash.
PERCENT = {"function": "params.value == null ? '—' : (params.value * 100).toFixed(1) + '%'"}
NUMBER = {"function": "params.value == null ? '—' : params.value"}


def table(table_id: str, rows: list[dict], columns: list[tuple[str, str]], export: str | None, search: str,
          title: str, *, links: tuple[str, ...] = (), percent: tuple[str, ...] = (), wrap: tuple[str, ...] = (),
          widths: dict[str, int] | None = None, client_csv: str | None = None) -> dbc.Card:
    """A card with a title, a download button (None: the caller may not export) and a sortable grid.
    `links`: columns whose numbers open the leads behind them; `percent`: fractions shown as percentages;
    `wrap`: text columns that take several lines; `widths`: minimum widths other than the default;
    `client_csv`: a table no export route serves, downloaded as the browser holds it."""
    widths = widths or {}
    defs = []
    for i, (field, name) in enumerate(columns):
        first = i == 0 or field in wrap
        defs.append(column(field, name, widths.get(field, 130 if first else 90), 1.6 if first else 1,
                           kind="text" if first else "number", link=field in links, wrap=field in wrap,
                           wrapHeaderText=True, autoHeaderHeight=True,
                           valueFormatter=PERCENT if field in percent else NUMBER))
    header = header_with(title, download_link(export, search) if export else None,
                         csv_button(table_id, client_csv) if client_csv else None)
    grid = client_grid(table_id, rows, defs, csv=client_csv, page_size=15, row_id=None)
    return dbc.Card(dbc.CardBody([header, grid]), className="shadow-sm mb-4")


def graph(figure: dict, graph_id: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody(dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})),
                    className="shadow-sm mb-4")


def funnel_figure(stages: list[dict]) -> dict:
    # Share of the registered cohort: leads followed up without a sample reach T+3 without passing
    # "sample delivered", so a share of the previous stage could exceed 100%.
    return _figure([{"type": "funnel", "y": [s["stage"] for s in stages], "x": [s["count"] for s in stages],
                     "textinfo": "value+percent initial", "marker": {"color": BLUE}}], 380)


def steps_figure(steps: list[dict]) -> dict:
    return _figure([{"type": "bar", "name": s["step"].replace("T", "T+"), "x": ["Reply rate", "Conversion rate"],
                     "y": [s["reply_rate"] or 0, s["conversion_rate"] or 0],
                     "marker": {"color": STEP_COLOURS.get(s["step"], GREY)}} for s in steps],
                   300, barmode="group", yaxis={"tickformat": ".0%"})


def variants_figure(rows: list[dict]) -> dict:
    """Reply rate per template version and variant with its 95% interval as error bars."""
    names = [f"{r['template_id']} v{r['version'] or '?'} {r['variant']}" for r in rows]
    errors = {"type": "data", "symmetric": False,
              "array": [(r["replied_high"] or 0) - (r["replied_rate"] or 0) for r in rows],
              "arrayminus": [(r["replied_rate"] or 0) - (r["replied_low"] or 0) for r in rows]}
    return _figure([{"type": "bar", "x": names, "y": [r["replied_rate"] or 0 for r in rows], "name": "reply rate",
                     "marker": {"color": BLUE}, "error_y": errors}],
                   yaxis={"tickformat": ".0%", "title": {"text": "reply rate (95% interval)"}})


def roi_figure(months: list[dict]) -> dict:
    x = [m["month"] for m in months]
    return _figure([{"type": "bar", "name": "Attributed revenue", "x": x, "y": [m["revenue"] for m in months],
                     "marker": {"color": TEAL}},
                    {"type": "bar", "name": "Cost", "x": x, "y": [m["cost"] for m in months], "marker": {"color": ORANGE}}],
                   barmode="group", yaxis={"title": {"text": "EUR"}})
