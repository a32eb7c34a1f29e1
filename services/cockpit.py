"""The cockpit read model: follow-up numbers for the caller's scope, this week against last week."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.roles import Actor, Page, Role, require, scope_for
from services.clock import Clock, utc_now


@dataclass(frozen=True)
class Kpis:
    t3_due: int = 0
    t3_sent: int = 0
    t7_due: int = 0
    t7_sent: int = 0
    sent_today: int = 0
    sent_week: int = 0
    replies: int = 0
    positive: int = 0
    conversions: int = 0

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.replies if self.replies else 0.0


@dataclass(frozen=True)
class CockpitView:
    title: str
    kpis: Kpis
    previous: Kpis
    members: list[dict] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    team_choices: list[tuple[int, str]] = field(default_factory=list)


def _tally(rows) -> dict[str, int]:
    t = {"t3_sent": 0, "t7_sent": 0, "sent": 0, "replies": 0, "positive": 0, "conversions": 0}
    for type_, outcome, step, _owner, n in rows:
        if type_ == "FOLLOW_UP":
            t["sent"] += n
            t["t3_sent" if step == "T3" else "t7_sent"] += n
        elif type_ == "REPLY":
            t["replies"] += n
            t["positive"] += n if outcome == "POSITIVE" else 0
        elif type_ == "CONVERSION":
            t["conversions"] += n
    return t


def cockpit_view(uow, actor: Actor, team_id: int | None = None, user_id: int | None = None,
                 clock: Clock = utc_now) -> CockpitView:
    require(actor, Page.COCKPIT)
    now = clock()
    week_start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    today_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with uow(write=False) as tx:
        teams = tx.users.team_of_users()
        scope = scope_for(actor, team_id, user_id, teams)
        week = tx.leads.activity_counts(scope, week_start, now + timedelta(seconds=1))
        prev = tx.leads.activity_counts(scope, week_start - timedelta(days=7), now - timedelta(days=7))
        today = _tally(tx.leads.activity_counts(scope, today_start, now + timedelta(seconds=1)))
        due = tx.leads.due_counts(scope, today_start + timedelta(days=1))
        members = _members(tx, actor, scope, week)
        team_names = {t.id: t.name for t in tx.users.teams()}
        status_counts = tx.leads.status_counts(scope)
    w, p = _tally(week), _tally(prev)
    kpis = Kpis(due["T3"], w["t3_sent"], due["T7"], w["t7_sent"], today["sent"], w["sent"], w["replies"],
                w["positive"], w["conversions"])
    previous = Kpis(0, p["t3_sent"], 0, p["t7_sent"], 0, p["sent"], p["replies"], p["positive"], p["conversions"])
    choices = sorted(team_names.items(), key=lambda kv: kv[1]) if actor.role in (Role.ADMIN, Role.ANALYST, Role.VIEWER) else []
    return CockpitView(_title(actor, scope, team_names), kpis, previous, members, status_counts, choices)


def _title(actor: Actor, scope, team_names: dict[int, str]) -> str:
    if scope.user_id == actor.user_id:
        return "My follow-ups"
    if scope.user_id is not None:
        return "Team member"
    if scope.team_id is not None:
        return f"Team {team_names.get(scope.team_id, '')}".strip()
    return "All teams"


def _members(tx, actor: Actor, scope, week_rows) -> list[dict]:
    """Per-member numbers for managers and above; sales users see only themselves, so no table."""
    if actor.role == Role.SALES or scope.user_id is not None:
        return []
    per_owner: dict[int | None, list] = {}
    for row in week_rows:
        per_owner.setdefault(row[3], []).append(row)
    members = tx.users.members(scope.team_id)
    out = []
    for u in members:
        if u.role not in (Role.SALES.value, Role.MANAGER.value):
            continue
        t = _tally(per_owner.get(u.id, []))
        rate = t["conversions"] / t["replies"] if t["replies"] else 0.0
        out.append({"user_id": u.id, "name": u.display_name, "sent": t["sent"], "t3_sent": t["t3_sent"],
                    "t7_sent": t["t7_sent"], "replies": t["replies"], "positive": t["positive"],
                    "conversions": t["conversions"], "conversion_rate": round(100 * rate, 1)})
    return out
