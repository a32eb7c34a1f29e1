"""Funnel: registered -> sample delivered -> T+3 -> T+7 -> replied -> positive -> converted, by cohort
week, and T+3 against T+7, for the caller's scope and filters."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, html

from components.analytics_views import funnel_figure, graph, steps_figure, table
from components.ids import analytics_id
from components.shell import empty_state
from domain.roles import Forbidden, may_export
from pages._analytics import analytics_layout, current_query, register_url_sync
from pages._context import actor, deps
from services.analytics import STAGES, filters_for, funnel_view
from services.analytics_filters import InvalidFilter
from services.drilldown import drill_href, may_drill

PAGE = "funnel"
dash.register_page(__name__, path="/funnel", name="Funnel", title="Funnel · Follow-up Cockpit", order=10)
COHORT_COLUMNS = [("week", "Week"), ("registered", "Registered"), ("sample_delivered", "Sample"), ("t3_sent", "T+3"),
                  ("t7_sent", "T+7"), ("replied", "Replied"), ("positive", "Positive"), ("converted", "Converted")]
STEP_COLUMNS = [("step", "Step"), ("sent", "Sent"), ("replied", "Replied"), ("reply_rate", "Reply rate"),
                ("converted", "Converted"), ("conversion_rate", "Conversion rate"), ("median_hours_to_reply", "Median h to reply")]


def layout(**query):
    return analytics_layout(PAGE, "Funnel", "From registration to customer: where leads drop off", query)


register_url_sync(PAGE)


@callback(Output(analytics_id(PAGE, "body"), "children"), Output(analytics_id(PAGE, "message"), "children"),
          Input(analytics_id(PAGE, "url"), "search"))
def show_funnel(search):
    try:
        filters, _ = filters_for(deps(), actor(), current_query(search))
        view = funnel_view(deps(), actor(), filters)
    except InvalidFilter as exc:
        return empty_state("Filter not available", "Choose another value."), f"{exc.name}: {exc.reason}"
    except Forbidden as exc:
        return empty_state("Not available", str(exc)), ""
    drill = filters.query() if may_drill(actor()) else None
    return funnel_body(view, search or "", may_export(actor()), drill), ""


def _linked(view, drill: dict | None) -> tuple[list[dict], list[dict]]:
    """Stage and cohort rows, each number but 0 with the link to the leads behind it (None: no links)."""
    keys = [key for key, _label in STAGES]
    if drill is None:
        return view.stages, view.cohorts
    stages = [dict(s, count__href=drill_href("stage", drill, stage=key)) if s["count"] else s
              for key, s in zip(keys, view.stages)]
    cohorts = [dict(c, **{f"{key}__href": drill_href("cohort", drill, stage=key, week=c["week"]) for key in keys if c[key]})
               for c in view.cohorts]
    return stages, cohorts


def funnel_body(view, search: str, export: bool, drill: dict | None = None):
    if view.empty:
        return empty_state("No leads registered in this period", "Widen the period or clear a filter.")
    stages, cohorts = _linked(view, drill)
    steps = [dict(s, median_hours_to_reply="—" if s["median_hours_to_reply"] is None else s["median_hours_to_reply"],
                  step=s["step"].replace("T", "T+")) for s in view.steps]
    on = lambda name: name if export else None  # noqa: E731
    stage_links = ("count",) if drill else ()
    return [graph(funnel_figure(view.stages), "funnel-chart"),
            table("funnel-stages", stages, [("stage", "Stage"), ("count", "Leads"), ("step_conversion", "From the stage before*"),
                                            ("drop_off", "Drop-off")], on("funnel"), search, "Stages", links=stage_links,
                  percent=("step_conversion",)),
            html.P("* T+3 is measured against all registered leads: without a sample, the follow-up clock "
                   "starts at registration." + (" A number opens the leads behind it." if drill else ""),
                   className="text-secondary small"),
            graph(steps_figure(view.steps), "funnel-steps-chart") if view.steps else None,
            table("funnel-steps", steps, STEP_COLUMNS, on("steps"), search, "T+3 against T+7",
                  percent=("reply_rate", "conversion_rate")),
            table("funnel-cohorts", cohorts, COHORT_COLUMNS, on("cohorts"), search, "Cohorts by week of registration",
                  links=tuple(c for c, _n in COHORT_COLUMNS[1:]) if drill else ())]
