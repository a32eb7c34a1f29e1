"""ROI: revenue of customers won after automated follow-ups against the automation's cost, time saved,
and the lift against the holdout group. Every assumption is shown; admins change them here."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from components.analytics_views import graph, pct, roi_figure, table
from components.callback_inputs import choice
from components.ids import (ROI_ASSUMPTION_KEY, ROI_ASSUMPTION_MESSAGE, ROI_ASSUMPTION_SAVE, ROI_ASSUMPTION_VALUE,
                            analytics_id)
from components.shell import empty_state
from domain.roles import Forbidden, Role, may_export
from pages._analytics import analytics_layout, current_query, register_url_sync
from pages._context import actor, deps
from services.analytics import filters_for
from services.analytics_filters import InvalidFilter
from services.analytics_roi import ASSUMPTIONS, roi_view, set_assumption

PAGE = "roi"
dash.register_page(__name__, path="/roi", name="ROI", title="ROI · Follow-up Cockpit", order=12)
MONEY = [("sent", "Sends"), ("converted", "Conversions"), ("revenue", "Revenue EUR"), ("cost", "Cost EUR"),
         ("roi", "ROI"), ("hours_saved", "Hours saved"), ("time_value", "Time value EUR")]


def _editor():
    if actor().role != Role.ADMIN:  # the page's callback listens to the message: it must exist for everyone
        return html.Div(id=ROI_ASSUMPTION_MESSAGE, hidden=True)
    return dbc.Row([dbc.Col(dcc.Dropdown(id=ROI_ASSUMPTION_KEY, options=[{"label": s[0], "value": k} for k, s in ASSUMPTIONS.items()],
                                         placeholder="Assumption to change"), md=4),
                    dbc.Col(dcc.Input(id=ROI_ASSUMPTION_VALUE, type="number", className="form-control", placeholder="New value"), md=2),
                    dbc.Col(dbc.Button("Save", id=ROI_ASSUMPTION_SAVE, color="primary"), md=1),
                    dbc.Col(html.Div(id=ROI_ASSUMPTION_MESSAGE, className="small pt-2"), md=5)], className="g-2 mb-4")


def layout(**query):
    return analytics_layout(PAGE, "Return on investment", "What the automated follow-ups earn against what they cost",
                            query, extra=_editor())


register_url_sync(PAGE)


@callback(Output(analytics_id(PAGE, "body"), "children"), Output(analytics_id(PAGE, "message"), "children"),
          Input(analytics_id(PAGE, "url"), "search"), Input(ROI_ASSUMPTION_MESSAGE, "children"))
def show_roi(search, _saved):
    try:
        filters, _ = filters_for(deps(), actor(), current_query(search))
        view = roi_view(deps(), actor(), filters)
    except InvalidFilter as exc:
        return empty_state("Filter not available", "Choose another value."), f"{exc.name}: {exc.reason}"
    except Forbidden as exc:
        return empty_state("Not available", str(exc)), ""
    return roi_body(view, search or "", may_export(actor())), ""


@callback(Output(ROI_ASSUMPTION_MESSAGE, "children"), Input(ROI_ASSUMPTION_SAVE, "n_clicks"),
          State(ROI_ASSUMPTION_KEY, "value"), State(ROI_ASSUMPTION_VALUE, "value"), prevent_initial_call=True)
def save_assumption(_clicks, key, value):
    try:
        set_assumption(deps().uow, actor(), choice("assumption", key, ASSUMPTIONS), value, deps().clock())
    except (Forbidden, ValueError) as exc:
        return f"Not saved: {exc}"
    return f"Saved: {ASSUMPTIONS[key][0]} = {value}"


def _ratio(value) -> str:
    return "—" if value is None else f"{value:.2f} (EUR returned per EUR spent, net)"


def _incremental_line(inc: dict | None) -> list:
    """Attributed revenue credits every conversion to the mail before it; the holdout says how many the
    automation really added. The ROI that counts is the one on the added revenue."""
    if inc is None:
        return [html.Strong("Incremental revenue: "), "not known yet (needs a lift and a conversion to value)"]
    return [html.Strong("Incremental revenue: "),
            f"{inc['revenue']:,.0f} EUR ({inc['low']:,.0f} to {inc['high']:,.0f} EUR, 95%) · ROI on it: {_ratio(inc['roi'])}",
            html.Br(), html.Small("Incremental = lift × treated leads × revenue per conversion "
                                  f"({inc['value_per_conversion']:,.0f} EUR): the conversions the automation added, "
                                  "not all conversions that followed a mail.", className="text-muted")]


def _money_rows(rows: list[dict]) -> list[dict]:
    return [dict(r, roi="—" if r["roi"] is None else f"{r['roi']:.2f}") for r in rows]


def roi_body(view, search: str, export: bool):
    assumptions = table("roi-assumptions", [{"label": a["label"], "value": a["value"], "unit": a["unit"]} for a in view.assumptions],
                        [("label", "Assumption"), ("value", "Value"), ("unit", "Unit")], None, search, "Assumptions",
                        client_csv="roi-assumptions" if export else None)
    if view.empty:
        return [empty_state("No automated follow-ups in this period", "Widen the period or clear a filter."), assumptions]
    lift = view.lift
    lift_text = ("not enough leads in both groups yet" if lift["lift"] is None else
                 f"{pct(lift['lift'])} ({pct(lift['low'])} to {pct(lift['high'])}) more conversions with automation: "
                 f"{lift['treated_converted']}/{lift['treated_leads']} against {lift['holdout_converted']}/{lift['holdout_leads']} held out")
    t = view.totals
    summary = dbc.Alert([html.Strong("ROI on attributed revenue: "), _ratio(t["roi"]),
                         f" · attributed revenue {t['revenue']:,.0f} EUR · cost {t['cost']:,.0f} EUR · {t['hours_saved']:,.0f} h saved"
                         f" ({t['time_value']:,.0f} EUR)", html.Br(), html.Strong("Lift against holdout: "), lift_text,
                         html.Br(), *_incremental_line(view.incremental)], color="light", className="border")
    return [summary, graph(roi_figure(view.months), "roi-chart"),
            table("roi-months", _money_rows(view.months), [("month", "Month")] + MONEY, "roi" if export else None, search, "By month"),
            table("roi-steps", _money_rows(view.steps), [("step", "Step")] + MONEY, "roi_steps" if export else None, search, "By step"),
            assumptions]
