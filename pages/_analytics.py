"""What the three analytics pages share: the layout around their filter bar, and the callback that
writes the chosen filters into the URL query (the page then renders from the URL)."""
from __future__ import annotations

from dash import Input, Output, callback, dcc, html

from components.analytics_filters import filter_bar, query_of, search_of
from components.ids import analytics_id
from components.shell import page_header, refusal
from domain.roles import Forbidden
from pages._context import actor, deps
from services.analytics import filter_options

FILTER_INPUTS = ("period", "team", "user", "business_type", "step", "template")


def analytics_layout(page: str, title: str, subtitle: str, query: dict, extra=None):
    try:
        options = filter_options(deps(), actor())
    except Forbidden as exc:
        return refusal(str(exc))
    body = dcc.Loading(html.Div(id=analytics_id(page, "body"), className="analytics-body"), type="dot", delay_show=300)
    return html.Div([dcc.Location(id=analytics_id(page, "url"), refresh=False),
                     page_header(title, subtitle), filter_bar(page, options.as_dict(), query), extra, body])


def register_url_sync(page: str) -> None:
    """Filters -> URL query. Dash's router re-renders the page from the new URL, so a reload or a
    shared link shows exactly this view."""
    inputs = [Input(analytics_id(page, n), "value") for n in FILTER_INPUTS[:1]]
    inputs += [Input(analytics_id(page, "dates"), "start_date"), Input(analytics_id(page, "dates"), "end_date")]
    inputs += [Input(analytics_id(page, n), "value") for n in FILTER_INPUTS[1:]]

    @callback(Output(analytics_id(page, "url"), "search"), *inputs, prevent_initial_call=True)
    def _sync(period, start, end, team, user, business_type, step, template):
        return search_of(period, start, end, team, user, business_type, step, template)


def current_query(search: str | None) -> dict[str, str]:
    return query_of(search)
