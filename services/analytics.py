"""Read models of the analytics pages (DESIGN section 6): the funnel and the template comparison,
over the named DuckDB queries, always within the caller's scope and filters."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from data import analytics_queries
from domain.roles import Actor, Forbidden, Page, Role, may_open, require, sees_individuals
from domain.stats import difference, verdict, wilson
from services.analytics_filters import FilterOptions, Filters, parse_filters, scoped_params, utc_today

ANALYTICS_PAGES = (Page.FUNNEL, Page.TEMPLATE_STATS, Page.ROI)
STAGES = (("registered", "Registered"), ("sample_delivered", "Sample delivered"), ("t3_sent", "T+3 sent"),
          ("t7_sent", "T+7 sent"), ("replied", "Replied"), ("positive", "Positive reply"), ("converted", "Converted"))
TEMPLATE_METRICS = ("delivered", "opened", "clicked", "replied", "positive", "converted")


def require_page(actor: Actor, page: Page) -> None:
    require(actor, page)


@contextmanager
def warehouse_cursor(deps):
    cur = deps.warehouse.cursor()
    try:
        yield cur
    finally:
        cur.close()


def filter_options(deps, actor: Actor) -> FilterOptions:
    """The teams, users and templates a caller may filter by: only those in their scope."""
    if not any(may_open(actor, p) for p in ANALYTICS_PAGES):
        raise Forbidden.for_role(actor, "open the analytics pages")
    with deps.uow(write=False) as tx:
        if actor.role == Role.SALES:
            me = tx.users.get(actor.user_id)
            teams, users = [], [(actor.user_id, me.display_name if me else actor.username)]
        else:
            team = actor.team_id if actor.role == Role.MANAGER else None
            teams = [(t.id, t.name) for t in tx.users.teams() if team is None or t.id == team]
            members = tx.users.members(team) if actor.role != Role.MANAGER or team is not None else []
            users = [(u.id, u.display_name) for u in members if u.role in (Role.SALES.value, Role.MANAGER.value)]
            users = users if sees_individuals(actor) else []  # viewers filter by team, never by person
    with warehouse_cursor(deps) as cur:
        templates = [r[0] for r in cur.execute("SELECT DISTINCT template_id FROM daily_counts WHERE type = 'followup.sent'"
                                               " AND template_id IS NOT NULL ORDER BY 1").fetchall()]
    return FilterOptions(teams=teams, users=users, templates=templates)


def query_params(deps, actor: Actor, filters: Filters) -> dict:
    with deps.uow(write=False) as tx:
        team_of_users = tx.users.team_of_users()
    return scoped_params(actor, filters, team_of_users, utc_today(deps.clock()))[1]


def rate(successes: int, trials: int) -> dict:
    """A rate with its Wilson interval; None values when there were no trials."""
    interval = wilson(successes, trials)
    if interval is None:
        return {"rate": None, "low": None, "high": None}
    return {"rate": interval.estimate, "low": interval.low, "high": interval.high}


@dataclass(frozen=True)
class FunnelView:
    stages: list[dict]
    cohorts: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.stages or self.stages[0]["count"] == 0


# A stage measured against one other than the stage above it: the follow-up clock starts at the
# sample or, without one, at registration, so T+3 goes to leads that never had "sample delivered".
BASE_STAGE = {"t3_sent": "registered"}


def stage_rows(counts: dict) -> list[dict]:
    out, seen, previous = [], {}, None
    for key, label in STAGES:
        n = int(counts.get(key) or 0)
        base = seen.get(BASE_STAGE.get(key), previous)
        out.append({"stage": label, "count": n, "step_conversion": n / base if base else None,
                    "drop_off": base - n if base is not None else None})
        seen[key], previous = n, n
    return out


def _step_row(r: dict) -> dict:
    sent = int(r["sent"])
    return {"step": r["step"], "sent": sent, "replied": int(r["replied"]), "positive": int(r["positive"]),
            "converted": int(r["converted"]), "reply_rate": rate(int(r["replied"]), sent)["rate"],
            "conversion_rate": rate(int(r["converted"]), sent)["rate"],
            "median_hours_to_reply": None if r["hours_to_reply"] is None else round(float(r["hours_to_reply"]), 1)}


def funnel_view(deps, actor: Actor, filters: Filters) -> FunnelView:
    require_page(actor, Page.FUNNEL)
    return deps.snapshots.get(("funnel", actor, filters), lambda: _funnel(deps, actor, filters))


def _funnel(deps, actor: Actor, filters: Filters) -> FunnelView:
    params = query_params(deps, actor, filters)
    with warehouse_cursor(deps) as cur:  # a step or template filter narrows the cohort to leads sent it
        [counts] = analytics_queries.rows(cur, "funnel_stages", params)
        cohorts = analytics_queries.rows(cur, "funnel_cohorts", params)
        steps = analytics_queries.rows(cur, "funnel_steps", params)
    return FunnelView(stage_rows(counts), [dict(c, week=c["week"].isoformat()) for c in cohorts],
                      [_step_row(s) for s in steps])


@dataclass(frozen=True)
class TemplatesView:
    rows: list[dict]
    comparisons: list[dict]


def _template_row(r: dict) -> dict:
    sent = int(r["sent"])
    row = {"template_id": r["template_id"], "version": r["template_version"], "variant": r["variant"], "sent": sent}
    for metric in TEMPLATE_METRICS:
        n = int(r[metric])
        interval = rate(n, sent)
        row.update({metric: n, f"{metric}_rate": interval["rate"], f"{metric}_low": interval["low"],
                    f"{metric}_high": interval["high"]})
    return row


def _comparisons(rows: list[dict]) -> list[dict]:
    """Each variant against the first variant of the same template version, on replies and conversions."""
    out, baseline = [], {}
    for row in rows:
        key = (row["template_id"], row["version"])
        base = baseline.setdefault(key, row)
        if base is row:
            continue
        for metric, word in (("replied", "replies"), ("converted", "conversions")):
            diff = difference(row[metric], row["sent"], base[metric], base["sent"])
            said = verdict(base["variant"], base[metric], base["sent"], row["variant"], row[metric], row["sent"], word)
            out.append({"template_id": key[0], "version": key[1], "baseline": base["variant"], "variant": row["variant"],
                        "metric": word, "difference": diff.estimate if diff else None,
                        "low": diff.low if diff else None, "high": diff.high if diff else None, "verdict": said.text})
    return out


def templates_view(deps, actor: Actor, filters: Filters) -> TemplatesView:
    require_page(actor, Page.TEMPLATE_STATS)
    return deps.snapshots.get(("templates", actor, filters), lambda: _templates(deps, actor, filters))


def _templates(deps, actor: Actor, filters: Filters) -> TemplatesView:
    params = query_params(deps, actor, filters)
    with warehouse_cursor(deps) as cur:
        rows = [_template_row(r) for r in analytics_queries.rows(cur, "templates_compare", params)]
    return TemplatesView(rows, _comparisons(rows))


def filters_for(deps, actor: Actor, query) -> tuple[Filters, FilterOptions]:
    """The caller's filters from a URL query, checked against their options (InvalidFilter if not)."""
    options = filter_options(deps, actor)
    return parse_filters(query, options), options
