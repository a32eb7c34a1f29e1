"""Template comparison: per template, version and A/B variant, each rate with its 95% interval, and
each variant against the first one on replies and conversions (never on opens alone)."""
from __future__ import annotations

import dash
from dash import Input, Output, callback

from components.analytics_views import graph, pct_interval, table, variants_figure
from components.ids import analytics_id
from components.shell import empty_state
from domain.roles import Forbidden, may_export
from pages._analytics import analytics_layout, current_query, register_url_sync
from pages._context import actor, deps
from services.analytics import TEMPLATE_METRICS, filters_for, templates_view
from services.analytics_filters import InvalidFilter
from services.drilldown import drill_href, may_drill

PAGE = "tstats"
dash.register_page(__name__, path="/templates", name="Template comparison",
                   title="Template comparison · Follow-up Cockpit", order=11)
VARIANT_COLUMNS = [("template_id", "Template"), ("version", "Version"), ("variant", "Variant"), ("sent", "Sent")] + [
    (m, f"{m.capitalize()} (95% CI)") for m in TEMPLATE_METRICS]
COMPARISON_COLUMNS = [("template_id", "Template"), ("version", "Version"), ("pair", "Variants"), ("metric", "On"),
                      ("difference", "Difference (95% CI)"), ("verdict", "Verdict")]


def layout(**query):
    return analytics_layout(PAGE, "Template comparison", "Which template and variant earns replies and customers", query)


register_url_sync(PAGE)


@callback(Output(analytics_id(PAGE, "body"), "children"), Output(analytics_id(PAGE, "message"), "children"),
          Input(analytics_id(PAGE, "url"), "search"))
def show_templates(search):
    try:
        filters, _ = filters_for(deps(), actor(), current_query(search))
        view = templates_view(deps(), actor(), filters)
    except InvalidFilter as exc:
        return empty_state("Filter not available", "Choose another value."), f"{exc.name}: {exc.reason}"
    except Forbidden as exc:
        return empty_state("Not available", str(exc)), ""
    drill = filters.query() if may_drill(actor()) else None
    return templates_body(view, search or "", may_export(actor()), drill), ""


def _cell(row: dict, metric: str) -> str:
    """The count, then its rate with the 95% interval on a second line."""
    return f"{row[metric]} · {pct_interval(row[f'{metric}_rate'], row[f'{metric}_low'], row[f'{metric}_high'])}".replace(" (", "\n(", 1)


def _links(row: dict, drill: dict | None) -> dict:
    """Each count's link (but a zero's) to the leads behind it: the row's template, version, variant and metric."""
    if drill is None or row["template_id"] == "(unknown)":
        return {}
    where = dict(drill, template=row["template_id"], version="none" if row["version"] is None else row["version"],
                 variant=row["variant"])
    return {f"{m}__href": drill_href("variant", where, metric=m) for m in ("sent",) + TEMPLATE_METRICS if row[m]}


def templates_body(view, search: str, export: bool, drill: dict | None = None):
    if not view.rows:
        return empty_state("No follow-ups sent in this period", "Widen the period or clear a filter.")
    rows = [{**{k: r[k] for k in ("template_id", "version", "variant", "sent")}, **{m: _cell(r, m) for m in TEMPLATE_METRICS},
             **_links(r, drill)} for r in view.rows]
    comparisons = [{"template_id": c["template_id"], "version": c["version"], "pair": f"{c['variant']} vs {c['baseline']}",
                    "metric": c["metric"], "verdict": c["verdict"],
                    "difference": "—" if c["difference"] is None else
                    f"{c['difference'] * 100:+.1f} pts ({c['low'] * 100:+.1f} to {c['high'] * 100:+.1f})"}
                   for c in view.comparisons]
    return [graph(variants_figure(view.rows), "tstats-chart"),
            table("tstats-variants", rows, VARIANT_COLUMNS, "templates" if export else None, search, "Variants",
                  links=("sent",) + TEMPLATE_METRICS if drill else (), wrap=TEMPLATE_METRICS,
                  widths={"template_id": 150, "version": 75, "variant": 75, "sent": 70, **dict.fromkeys(TEMPLATE_METRICS, 105)}),
            table("tstats-comparisons", comparisons, COMPARISON_COLUMNS, "comparisons" if export else None, search,
                  "Variant against variant", wrap=("verdict",), widths={"verdict": 300}) if comparisons else None]


