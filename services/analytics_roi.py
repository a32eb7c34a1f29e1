"""The ROI read model: attributed revenue against the automation's cost, time saved, and the lift
against the holdout group. Every number it assumes is shown on the page and editable by an admin."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from data import analytics_queries
from domain.roles import Actor, Forbidden, Page, Role
from domain.stats import DEFAULT_HOLDOUT_SHARE, difference, incremental_revenue, roi, time_saved
from services.analytics import query_params, require_page, warehouse_cursor
from services.analytics_filters import Filters, period_days, utc_today

HOLDOUT_SALT = "holdout-v1"
ATTRIBUTION_DAYS = 90  # fixed in data/sql/roi_monthly.sql
# key: (label, unit, default, lowest, highest)
ASSUMPTIONS = {
    "mail_cost_file": ("Cost per mail, file provider", "EUR", 0.0, 0, 10),
    "mail_cost_smtp": ("Cost per mail, SMTP", "EUR", 0.001, 0, 10),
    "mail_cost_sendgrid": ("Cost per mail, SendGrid", "EUR", 0.0008, 0, 10),
    "mail_cost_ses": ("Cost per mail, Amazon SES", "EUR", 0.0001, 0, 10),
    "tool_cost_per_month": ("Tool cost per month", "EUR", 150.0, 0, 1_000_000),
    "minutes_per_followup": ("Minutes a manual follow-up takes", "min", 6.0, 0, 600),
    "hourly_cost": ("Hourly cost of a sales person", "EUR", 45.0, 0, 10_000),
    "holdout_share": ("Share of leads held out of automation", "share", DEFAULT_HOLDOUT_SHARE, 0, 0.5),
}


@dataclass(frozen=True)
class RoiView:
    assumptions: list[dict]
    months: list[dict]
    steps: list[dict]
    totals: dict
    lift: dict
    incremental: dict | None = None  # what the holdout says the automation added, and the ROI on that

    @property
    def empty(self) -> bool:
        return not self.months


def current_assumptions(uow) -> dict[str, float]:
    with uow(write=False) as tx:
        stored = tx.analytics.assumptions()
    return {key: stored.get(key, spec[2]) for key, spec in ASSUMPTIONS.items()}


def set_assumption(uow, actor: Actor, key: str, value: float, now) -> None:
    """Admins only; a value outside its range or an unknown key is refused with ValueError."""
    if actor.role != Role.ADMIN:
        raise Forbidden.for_role(actor, "change the ROI assumptions")
    if key is None:
        raise ValueError("choose the assumption to change")
    if key not in ASSUMPTIONS:
        raise ValueError(f"unknown assumption {key!r}")
    low, high = ASSUMPTIONS[key][3:]
    if value is None:
        raise ValueError(f"enter a value for {ASSUMPTIONS[key][0]} ({low} to {high})")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{ASSUMPTIONS[key][0]} must lie between {low} and {high}")
    with uow() as tx:
        tx.analytics.set_assumption(key, float(value), actor.user_id, now)
        tx.commit()


def _money(sent: int, converted: int, revenue: float, cost: float, a: dict) -> dict:
    saved = time_saved(sent, a["minutes_per_followup"], a["hourly_cost"])
    return {"sent": sent, "converted": converted, "revenue": round(revenue, 2), "cost": round(cost, 2),
            "hours_saved": round(saved.hours, 1), "time_value": round(saved.value, 2), "roi": roi(revenue, cost)}


def _months_in(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def roi_view(deps, actor: Actor, filters: Filters) -> RoiView:
    require_page(actor, Page.ROI)
    return deps.snapshots.get(("roi", actor, filters), lambda: _roi(deps, actor, filters))


def _roi(deps, actor: Actor, filters: Filters) -> RoiView:
    a = current_assumptions(deps.uow)
    provider = deps.settings.mail_providers[0]  # the warehouse does not keep the provider of each mail yet
    per_mail = a.get(f"mail_cost_{provider}", 0.0)
    params = query_params(deps, actor, filters)
    holdout_params = {k: v for k, v in params.items() if k not in ("step", "template_id")}
    holdout_params.update(share=a["holdout_share"], salt=HOLDOUT_SALT)
    with warehouse_cursor(deps) as cur:
        facts = analytics_queries.rows(cur, "roi_monthly", params)
        groups = {r["holdout"]: r for r in analytics_queries.rows(cur, "roi_holdout", holdout_params)}
    first, last = period_days(filters.period, utc_today(deps.clock()), filters.date_from, filters.date_to)
    tool_per_mail = a["tool_cost_per_month"] * _months_in(first, last) / max(1, sum(int(f["sent"]) for f in facts))
    months, steps = {}, {}
    for f in facts:  # cost is per send: the mail itself plus the send's share of the tool cost
        for bucket, key in ((months, f["month"].isoformat()[:7]), (steps, f["step"])):
            b = bucket.setdefault(key, [0, 0, 0.0])
            b[0], b[1], b[2] = b[0] + int(f["sent"]), b[1] + int(f["converted"]), b[2] + float(f["revenue"] or 0)
    cost = lambda sent: sent * (per_mail + tool_per_mail)  # noqa: E731
    month_rows = [{"month": k, **_money(s, c, r, cost(s), a)} for k, (s, c, r) in sorted(months.items())]
    step_rows = [{"step": k, **_money(s, c, r, cost(s), a)} for k, (s, c, r) in sorted(steps.items())]
    total = [sum(x) for x in zip(*months.values())] if months else [0, 0, 0.0]
    lift = _lift(groups)
    return RoiView(_assumption_rows(a, provider), month_rows, step_rows,
                   _money(total[0], total[1], total[2], cost(total[0]), a), lift,
                   _incremental(lift, total[1], total[2], cost(total[0])))


def _incremental(lift: dict, conversions: int, revenue: float, cost: float) -> dict | None:
    found = incremental_revenue(lift["lift"], lift["low"], lift["high"], lift["treated_leads"], revenue, conversions)
    if found is None:
        return None
    return {"revenue": round(found.revenue, 2), "low": round(found.low, 2), "high": round(found.high, 2),
            "value_per_conversion": round(found.value_per_conversion, 2), "roi": roi(found.revenue, cost)}


def _lift(groups: dict) -> dict:
    treated, held = groups.get(False), groups.get(True)
    t_leads, t_conv = (int(treated["leads"]), int(treated["converted"])) if treated else (0, 0)
    h_leads, h_conv = (int(held["leads"]), int(held["converted"])) if held else (0, 0)
    diff = difference(t_conv, t_leads, h_conv, h_leads)
    return {"treated_leads": t_leads, "treated_converted": t_conv, "holdout_leads": h_leads,
            "holdout_converted": h_conv, "lift": diff.estimate if diff else None,
            "low": diff.low if diff else None, "high": diff.high if diff else None}


def _assumption_rows(a: dict, provider: str) -> list[dict]:
    rows = [{"key": k, "label": spec[0], "unit": spec[1], "value": a[k]} for k, spec in ASSUMPTIONS.items()]
    rows.append({"key": "attribution_days", "label": "Revenue counted after conversion", "unit": "days",
                 "value": ATTRIBUTION_DAYS, "fixed": True})
    rows.append({"key": "provider", "label": "Provider the mail cost is taken from", "unit": "",
                 "value": provider, "fixed": True})
    return rows
