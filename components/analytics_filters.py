"""The filter bar of the analytics pages: period presets and a date range, team, user, business type,
step and template, offering only the options the server says the caller may choose. The URL query
holds the state (dcc.Location search), so a view can be shared and reloaded."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import analytics_id
from services.analytics_filters import PERIODS

LABELS = {"team": "Any team", "user": "Any user", "business_type": "Any business type", "step": "Any step",
          "template": "Any template"}
STEP_NAMES = {"T3": "T+3 sample follow-up", "T7": "T+7 bulk-order follow-up"}


def query_of(search: str | None) -> dict[str, str]:
    """The URL query as a dict (the last value of a repeated key wins)."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def search_of(period, dates_from, dates_to, team, user, business_type, step, template) -> str:
    """The URL query for the chosen filter values; the default period and empty values are left out."""
    values = {"period": None if period in (None, "90d") else period, "team": team, "user": user,
              "business_type": business_type, "step": step, "template": template}
    if period == "custom":
        values.update({"from": (dates_from or "")[:10] or None, "to": (dates_to or "")[:10] or None})
    query = urlencode({k: v for k, v in values.items() if v not in (None, "")})
    return f"?{query}" if query else ""


def _dropdown(page: str, name: str, options: list, value, width: int) -> dbc.Col:
    return dbc.Col(dcc.Dropdown(id=analytics_id(page, name), options=options, value=value,
                                placeholder=LABELS[name], clearable=True), md=width)


def filter_bar(page: str, options: dict, query: dict[str, str]) -> html.Div:
    """Controls preset from the URL query; values outside the options are dropped (the page says why)."""
    def pick(name: str, allowed) -> str | int | None:
        raw = query.get(name)
        return next((a for a in allowed if str(a) == raw), None)

    teams = [{"label": label, "value": i} for i, label in options["teams"]]
    users = [{"label": label, "value": i} for i, label in options["users"]]
    period = pick("period", PERIODS) or "90d"
    dates = dcc.DatePickerRange(id=analytics_id(page, "dates"), start_date=query.get("from"), end_date=query.get("to"),
                                display_format="YYYY-MM-DD", clearable=True,
                                style={"display": "block" if period == "custom" else "none"})
    return html.Div([dbc.Row([
        dbc.Col(dcc.Dropdown(id=analytics_id(page, "period"), value=period, clearable=False,
                             options=[{"label": label, "value": key} for key, label in PERIODS.items()]), md=2),
        dbc.Col(dates, md=3),
        _dropdown(page, "team", teams, pick("team", [t["value"] for t in teams]), 2),
        _dropdown(page, "user", users, pick("user", [u["value"] for u in users]), 2),
        _dropdown(page, "business_type", options["business_types"], pick("business_type", options["business_types"]), 3),
    ], className="g-2 mb-2"), dbc.Row([
        _dropdown(page, "step", [{"label": STEP_NAMES.get(s, s), "value": s} for s in options["steps"]],
                  pick("step", options["steps"]), 3),
        _dropdown(page, "template", options["templates"], pick("template", options["templates"]), 3),
        dbc.Col(html.Div(id=analytics_id(page, "message"), className="text-danger small pt-2"), md=6),
    ], className="g-2 mb-4")], className="analytics-filters")


def download_link(table: str, search: str, label: str = "Download CSV") -> html.A:
    """A plain link: the browser downloads the streamed file; the server checks role and filters again."""
    return html.A(label, href=f"/export/{table}.csv{search or ''}", download=f"{table}.csv",
                  className="btn btn-outline-secondary btn-sm", id=f"download-{table}")
