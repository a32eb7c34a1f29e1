"""Drill-down: the leads behind a number of the funnel, a cohort cell, a template variant or a cockpit
card, for the leads grid (as Metabase opens the rows behind a chart).

A link names the number (`drill` and its own keys) and the filters of the page it was on. The leads
come from the same DuckDB rules the number was counted by (data/sql/drill_*.sql), within the caller's
scope; the grid then lists those of them the caller may see. Viewers read aggregates only: they get no
links, and a drill-down they ask for is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping
from urllib.parse import urlencode

from data import analytics_queries
from domain.roles import Actor, Forbidden, sees_lead_rows
from services.analytics import STAGES, TEMPLATE_METRICS, filters_for, query_params, warehouse_cursor
from services.analytics_filters import FILTER_KEYS, PERIODS, Filters, FilterOptions, InvalidFilter
from services.cockpit_live import PERIOD_LABELS, InvalidView, Window, view_id, view_period
from services.scopes import caller_scope

STAGE_NAMES = dict(STAGES)
METRICS = ("sent",) + TEMPLATE_METRICS
# cockpit card -> (what the card counts, event type, step, label); its number counts events
CARDS = {"t3": ("T+3 sent", "followup.sent", "T3", None), "t7": ("T+7 sent", "followup.sent", "T7", None),
         "sent": ("sent", "followup.sent", None, None), "replies": ("replies", "followup.replied", None, None),
         "positive": ("positive replies", "followup.replied", None, "POSITIVE"),
         "conversion": ("conversions", "customer.converted", None, None)}
CARD_METRICS = {"t3": "t3_sent", "t7": "t7_sent", "sent": "sent", "replies": "replies", "positive": "positive",
                "conversion": "conversions"}  # card -> the metric it shows (services.cockpit_live)
KEYS = {"stage": ("stage",) + FILTER_KEYS, "cohort": ("stage", "week") + FILTER_KEYS,
        "variant": ("metric", "version", "variant") + FILTER_KEYS, "cockpit": ("card", "period", "team", "user")}
DRILL_KEYS = frozenset(k for keys in KEYS.values() for k in keys) | {"drill"}


@dataclass(frozen=True)
class DrillDown:
    """The leads behind a number: `behind` is the number itself (leads, sends or events of `unit`)."""

    label: str
    lead_ids: tuple[int, ...]
    behind: int
    unit: str
    back: str  # the page the number is on, with its filters


def may_drill(actor: Actor) -> bool:
    return sees_lead_rows(actor)


def drill_href(kind: str, query: Mapping[str, str], **values) -> str:
    """The leads grid behind a number: `query` holds the page's filters, `values` what was clicked."""
    return "/leads?" + urlencode({"drill": kind, **{k: v for k, v in {**query, **values}.items() if v is not None}})


def card_links(numbers) -> dict[str, str]:
    """The leads behind each cockpit card's number but a zero (services.cockpit_live.CockpitNumbers), where the
    caller may see them."""
    if not numbers.drill:
        return {}
    view = {"period": numbers.period, "team": numbers.team_id, "user": numbers.member_id}
    return {card: drill_href("cockpit", view, card=card) for card, metric in CARD_METRICS.items()
            if numbers.metrics[metric].value}


def drill_leads(deps, actor: Actor, query: Mapping[str, str]) -> DrillDown | None:
    """The leads behind the number a /leads query names; None when it names none."""
    kind = query.get("drill")
    if kind in (None, ""):
        return None
    if not may_drill(actor):
        raise Forbidden.for_role(actor, "open individual leads")
    if kind not in KEYS:
        raise InvalidFilter("drill", f"{kind!r} is not a number the leads can be drilled from")
    unknown = set(query) - set(KEYS[kind]) - {"drill", "q", "status", "type", "owner"}
    if unknown:
        raise InvalidFilter(sorted(unknown)[0], f"is not a parameter of a {kind} drill-down")
    if kind == "cockpit":
        return _cockpit(deps, actor, query)
    filters, options = filters_for(deps, actor, {k: query[k] for k in FILTER_KEYS if k in query})
    return (_variant if kind == "variant" else _funnel)(deps, actor, query, filters, options)


def _choice(query: Mapping[str, str], name: str, allowed) -> str:
    value = query.get(name)
    if value not in allowed:
        raise InvalidFilter(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _ids(deps, name: str, params: dict) -> list[tuple[int, int]]:
    with warehouse_cursor(deps) as cur:
        return [(int(r["lead_id"]), int(r["n"])) for r in analytics_queries.rows(cur, name, params)]


def _described(filters: Filters, options: FilterOptions) -> str:
    names = {"team": dict(options.teams), "user": dict(options.users)}
    parts = [PERIODS.get(filters.period, filters.period) if filters.period != "custom"
             else f"{filters.date_from} to {filters.date_to}"]
    for key, value in (("team", filters.team_id), ("user", filters.user_id)):
        if value is not None:
            parts.append(names[key].get(value, str(value)))
    parts += [v for v in (filters.business_type, filters.step, filters.template_id) if v]
    return ", ".join(parts)


def _found(label: str, rows: list[tuple[int, int]], unit: str, back: str) -> DrillDown:
    return DrillDown(label, tuple(lead for lead, _n in rows), sum(n for _lead, n in rows), unit, back)


def _funnel(deps, actor, query, filters: Filters, options: FilterOptions) -> DrillDown:
    stage = _choice(query, "stage", STAGE_NAMES)
    week = None
    if query.get("drill") == "cohort":
        try:
            week = date.fromisoformat(query.get("week") or "")
        except ValueError:
            raise InvalidFilter("week", f"{query.get('week')!r} is not a day (YYYY-MM-DD)") from None
    params = {**query_params(deps, actor, filters), "stage": stage, "week": week}
    where = f"week of {week}, " if week else ""
    label = f"Funnel · {STAGE_NAMES[stage]} · {where}{_described(filters, options)}"
    return _found(label, _ids(deps, "drill_funnel", params), "leads", "/funnel?" + urlencode(filters.query()))


def _variant(deps, actor, query, filters: Filters, options: FilterOptions) -> DrillDown:
    metric = _choice(query, "metric", METRICS)
    version = query.get("version") or ""
    if version != "none" and not (version.isascii() and version.isdigit() and len(version) <= 9):
        raise InvalidFilter("version", f"{version!r} is not a version (a number, or none)")
    variant = query.get("variant") or ""
    if not (variant.isascii() and variant.isalnum() and len(variant) <= 8):
        raise InvalidFilter("variant", f"{variant!r} is not a variant")
    if filters.template_id is None:
        raise InvalidFilter("template", "a variant drill-down names its template")
    params = {**query_params(deps, actor, filters), "variant_template": filters.template_id,
              "version": None if version == "none" else int(version), "variant": variant, "metric": metric}
    label = (f"Template {filters.template_id} v{version if version != 'none' else '?'} {variant} · {metric} · "
             f"{_described(filters, options)}")
    return _found(label, _ids(deps, "drill_templates", params), "sends", "/templates?" + urlencode(filters.query()))


def _cockpit(deps, actor: Actor, query: Mapping[str, str]) -> DrillDown:
    card = _choice(query, "card", CARDS)
    try:
        period = view_period(query.get("period"))
        team_id, member_id = view_id("team", query.get("team")), view_id("user", query.get("user"))
    except InvalidView as exc:
        raise InvalidFilter(exc.name, str(exc)) from None
    what, type_, step, label = CARDS[card]
    today = deps.clock().date()
    first = Window.of(period, today).first
    with deps.uow(write=False) as tx:
        scope = caller_scope(tx, actor, team_id, member_id)
    params = {"first": first, "last": today, "type": type_, "step": step, "label": label,
              "team_id": scope.team_id, "user_id": scope.user_id}
    when = "today" if period == "today" else f"last {PERIOD_LABELS[period]}"
    back = "/?" + urlencode({k: v for k, v in (("period", period), ("team", team_id), ("user", member_id)) if v})
    unit = "sends" if type_ == "followup.sent" else what.split()[-1]
    return _found(f"Cockpit · {what} · {when}", _ids(deps, "drill_cockpit", params), unit, back)
