"""The live cockpit read model: follow-up numbers of the caller's scope with trends and daily series.

Sent, replies and conversions come from the DuckDB replica's daily aggregates; the "due" backlog from
the OLTP leads and follow-up claims (data/due_backlog.py), now and at the end of each earlier day.
The scope is decided here (services.scopes.caller_scope), for the page layout, every callback and
every stream alike.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from data.duckdb_cockpit import DuckDbCockpit
from domain.event_phrases import phrase
from domain.model import MAIL_STEPS
from domain.roles import Actor, Page, Role, Scope, require, sees_lead_rows
from services.scopes import caller_scope
from services.tasks import open_task_count

PERIODS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_LABELS = {"today": "Today", "7d": "7 days", "30d": "30 days"}
DEFAULT_PERIOD = "7d"
MIN_SERIES_DAYS = 14
RECENT_ROWS = 8
EMPTY = {"t3_sent": 0, "t7_sent": 0, "sent": 0, "replies": 0, "positive": 0, "conversions": 0}
PICKS_ANY_TEAM = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
MAX_ID = 2**31 - 1  # ids are 32-bit in every table: a larger number names nothing (and overflows SQLite)


class InvalidView(ValueError):
    """A team, member or period the cockpit cannot show: the stream answers 400 naming `name`."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name} {reason}")
        self.name = name


def view_id(name: str, raw) -> int | None:
    """A team or member id from a query or a callback: None when absent, else 1..MAX_ID or InvalidView."""
    if raw is None or raw == "":
        return None
    text = str(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else ""
    # ASCII digits only: "²" and "٣" are digits to isdigit(); the length check keeps int() cheap.
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID):
        raise InvalidView(name, f"must be a whole number from 1 to {MAX_ID}")
    return int(text)


def view_period(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_PERIOD
    if raw not in PERIODS:
        raise InvalidView("period", f"must be one of {', '.join(PERIODS)}")
    return raw


@dataclass(frozen=True)
class Metric:
    value: float
    previous: float | None = None  # the same number over the previous period; None where it has no meaning
    series: list[float] = field(default_factory=list)  # one value per day, oldest first


@dataclass(frozen=True)
class CockpitNumbers:
    title: str
    period: str
    team_id: int | None
    member_id: int | None
    metrics: dict[str, Metric]
    members: list[dict] = field(default_factory=list)
    recent: list[dict] = field(default_factory=list)
    team_choices: list[tuple[int, str]] = field(default_factory=list)
    open_tasks: int | None = None  # the caller's open call tasks (services.tasks); None for a role without tasks
    drilled_in: bool = False  # one member of a team in view, not the caller: the page offers the way back
    drill: bool = False  # the cards open the leads behind their numbers (services.drilldown); viewers: no

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    previous_first: date
    previous_last: date
    series_first: date

    @classmethod
    def of(cls, period: str, today: date) -> "Window":
        days = PERIODS[period]
        first = today - timedelta(days=days - 1)
        return cls(first, today, first - timedelta(days=days), first - timedelta(days=1),
                   today - timedelta(days=max(days, MIN_SERIES_DAYS) - 1))


def _sum(daily: dict[date, dict[str, int]], first: date, last: date) -> dict[str, int]:
    total = dict(EMPTY)
    for day, counts in daily.items():
        if first <= day <= last:
            for key, value in counts.items():
                total[key] += value
    return total


def _rate(counts: dict[str, int]) -> float:
    return round(100 * counts["conversions"] / counts["replies"], 1) if counts["replies"] else 0.0


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _day_ends(window: Window, today: date) -> list[date]:
    """The days whose end the backlog is counted at: the series, and the previous period's last day."""
    return _days(min(window.series_first, window.previous_last), today)


def _due(backlog: dict[str, list[int]], ends: list[date], window: Window, days: list[date]) -> dict[str, Metric]:
    """Backlog now, at the end of the previous period, and at the end of each day of the series."""
    at = {step: dict(zip(ends, values)) for step, values in backlog.items()}
    return {f"{step.lower()}_due": Metric(at[step][ends[-1]], at[step][window.previous_last], [at[step][d] for d in days])
            for step in (s.value for s in MAIL_STEPS)}


def _metrics(daily, window: Window, today: date, due: dict[str, list[int]], ends: list[date]) -> dict[str, Metric]:
    days = _days(window.series_first, today)
    per_day = [daily.get(d, EMPTY) for d in days]
    cur, prev = _sum(daily, window.first, window.last), _sum(daily, window.previous_first, window.previous_last)
    yesterday = today - timedelta(days=1)

    def metric(key: str) -> Metric:
        return Metric(cur[key], prev[key], [c[key] for c in per_day])

    return {**_due(due, ends, window, days), "t3_sent": metric("t3_sent"), "t7_sent": metric("t7_sent"),
            "sent_today": Metric(daily.get(today, EMPTY)["sent"], daily.get(yesterday, EMPTY)["sent"], [c["sent"] for c in per_day]),
            "sent": metric("sent"),
            "replies": metric("replies"), "positive": metric("positive"), "conversions": metric("conversions"),
            "conversion_rate": Metric(_rate(cur), _rate(prev), [_rate(c) for c in per_day])}


def _members(tx, reads: DuckDbCockpit, actor: Actor, scope: Scope, window: Window) -> list[dict]:
    """Per-member rows when a team is in view and no single member is: managers, admins, analysts."""
    if actor.role in (Role.SALES, Role.VIEWER) or scope.user_id is not None or scope.team_id is None:
        return []
    counts = reads.members(window.first, window.last, scope.team_id)
    rows = []
    for user in tx.users.members(scope.team_id):
        if user.role not in (Role.SALES.value, Role.MANAGER.value):
            continue
        c = counts.get(user.id, EMPTY)
        rows.append({"user_id": user.id, "name": user.display_name, **c, "conversion_rate": _rate(c)})
    return rows


def _recent(tx, reads: DuckDbCockpit, scope: Scope) -> list[dict]:
    """The newest events of the scope, each with its lead's company and the words for what happened."""
    rows = reads.recent(scope.team_id, scope.user_id, RECENT_ROWS)
    companies = tx.leads.companies({row["lead_id"] for row in rows})
    return [{**row, "company": companies.get(row["lead_id"]), "what": phrase(row["type"], row["step"], row["label"])}
            for row in rows]


def _title(actor: Actor, scope: Scope, team_names: dict[int, str], member_name: str | None) -> str:
    if scope.user_id == actor.user_id:
        return "My follow-ups"
    if scope.user_id is not None:
        return member_name or "Team member"
    if scope.team_id is not None:
        return f"Team {team_names.get(scope.team_id, '')}".strip()
    return "All teams"


def cockpit_numbers(deps, actor: Actor, period: str = DEFAULT_PERIOD, team_id: int | None = None,
                    member_id: int | None = None) -> CockpitNumbers:
    """The caller's numbers, shared with every page, callback and stream asking the same
    (services.read_snapshots)."""
    require(actor, Page.COCKPIT)
    period = period if period in PERIODS else DEFAULT_PERIOD
    team_id, member_id = view_id("team", team_id), view_id("member", member_id)
    return deps.snapshots.get(("cockpit", actor, period, team_id, member_id),
                              lambda: _numbers(deps, actor, period, team_id, member_id))


def _numbers(deps, actor: Actor, period: str, team_id: int | None, member_id: int | None) -> CockpitNumbers:
    today = deps.clock().date()
    window = Window.of(period, today)
    reads = DuckDbCockpit(deps.warehouse)
    with deps.uow(write=False) as tx:
        scope = caller_scope(tx, actor, team_id, member_id)
        ends = _day_ends(window, today)
        due = tx.followups.backlog_at(scope, [datetime.combine(d + timedelta(days=1), time(0), timezone.utc) for d in ends])
        first = min(window.series_first, window.previous_first)
        daily = reads.daily(first, today, scope.team_id, scope.user_id)
        members = _members(tx, reads, actor, scope, window)
        team_names = {t.id: t.name for t in tx.users.teams()}
        member = tx.users.get(scope.user_id) if scope.user_id is not None else None
        member_name = member.display_name if member is not None else None
        open_tasks = deps.task_counts.get(("open tasks", actor), lambda: open_task_count(tx, actor))
        recent = _recent(tx, reads, scope) if sees_lead_rows(actor) else []
    choices = sorted(team_names.items(), key=lambda kv: kv[1]) if actor.role in PICKS_ANY_TEAM else []
    title = _title(actor, scope, team_names, member_name)
    return CockpitNumbers(title, period, scope.team_id, scope.user_id, _metrics(daily, window, today, due, ends),
                          members, recent, choices, open_tasks, drilled_in=scope.user_id not in (None, actor.user_id),
                          drill=sees_lead_rows(actor))


def status_counts(deps, actor: Actor, team_id: int | None = None, member_id: int | None = None) -> dict[str, int]:
    """Leads by status in the caller's scope (OLTP; shown beside the widget, not pushed live)."""
    require(actor, Page.COCKPIT)
    team_id, member_id = view_id("team", team_id), view_id("member", member_id)
    return deps.snapshots.get(("statuses", actor, team_id, member_id), lambda: _statuses(deps, actor, team_id, member_id))


def _statuses(deps, actor: Actor, team_id: int | None, member_id: int | None) -> dict[str, int]:
    with deps.uow(write=False) as tx:
        return tx.leads.status_counts(caller_scope(tx, actor, team_id, member_id))
