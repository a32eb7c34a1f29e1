"""The filters of the analytics pages and exports: parsed from a URL query, checked against what the
caller may choose, turned into bound query parameters within the caller's scope."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

from domain.events import BUSINESS_TYPES, STEPS
from domain.roles import Actor, Role, Scope, scope_for

PERIODS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "365d": "Last 12 months",
           "month": "This month", "last_month": "Last month", "custom": "Date range"}
DEFAULT_PERIOD = "90d"
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2200, 1, 1)  # the event times' range; past 9999-12-30 a window overflows
FILTER_KEYS = ("period", "from", "to", "team", "user", "business_type", "step", "template")


class InvalidFilter(ValueError):
    """A filter value outside its allow-list or the caller's options: 400 for exports, a message on pages."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


@dataclass(frozen=True)
class Filters:
    period: str = DEFAULT_PERIOD
    date_from: date | None = None
    date_to: date | None = None
    team_id: int | None = None
    user_id: int | None = None
    business_type: str | None = None
    step: str | None = None
    template_id: str | None = None

    def window(self, today: date) -> tuple[datetime, datetime]:
        """[since, until) in naive UTC, as the warehouse keeps times."""
        first, last = period_days(self.period, today, self.date_from, self.date_to)
        return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())

    def query(self) -> dict[str, str]:
        """The URL query that reproduces these filters (only what differs from the defaults)."""
        values = {"period": self.period, "from": self.date_from, "to": self.date_to, "team": self.team_id,
                  "user": self.user_id, "business_type": self.business_type, "step": self.step,
                  "template": self.template_id}
        return {k: str(v) for k, v in values.items() if v is not None and not (k == "period" and v == DEFAULT_PERIOD)}


@dataclass(frozen=True)
class FilterOptions:
    """What a caller may choose: teams and users as (id, label), template ids as text."""

    teams: list[tuple[int, str]] = field(default_factory=list)
    users: list[tuple[int, str]] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    business_types: list[str] = field(default_factory=lambda: list(BUSINESS_TYPES))
    steps: list[str] = field(default_factory=lambda: list(STEPS))

    def as_dict(self) -> dict:
        return asdict(self)


def period_days(period: str, today: date, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The first and last day (inclusive) of a period preset or a custom range."""
    if period == "custom":
        return date_from, date_to
    if period == "month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today - timedelta(days=int(period[:-1]) - 1), today


def _int(name: str, raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:  # "²" is a digit to isdigit(), not to int()
        raise InvalidFilter(name, f"{raw!r} is not an id")
    return int(raw)


def _day(name: str, raw: str | None) -> date | None:
    if raw in (None, ""):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidFilter(name, f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidFilter(name, f"{raw!r} is not between {FIRST_DAY} and {LAST_DAY}")
    return day


def _choice(name: str, raw: str | None, allowed) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in allowed:
        raise InvalidFilter(name, f"{raw!r} is not one of the allowed values")
    return raw


def parse_filters(query: Mapping[str, str], options: FilterOptions) -> Filters:
    """Filters from a URL query; every value must be one the caller's options offer."""
    period = _choice("period", query.get("period"), PERIODS) or DEFAULT_PERIOD
    date_from, date_to = _day("from", query.get("from")), _day("to", query.get("to"))
    if period == "custom" and (date_from is None or date_to is None or date_from > date_to):
        raise InvalidFilter("period", "a date range needs from <= to")
    team_id, user_id = _int("team", query.get("team")), _int("user", query.get("user"))
    if team_id is not None and team_id not in {t for t, _ in options.teams}:
        raise InvalidFilter("team", f"team {team_id} is not among your teams")
    if user_id is not None and user_id not in {u for u, _ in options.users}:
        raise InvalidFilter("user", f"user {user_id} is not among your users")
    return Filters(period=period, date_from=date_from if period == "custom" else None,
                   date_to=date_to if period == "custom" else None, team_id=team_id, user_id=user_id,
                   business_type=_choice("business_type", query.get("business_type"), options.business_types),
                   step=_choice("step", query.get("step"), options.steps),
                   template_id=_choice("template", query.get("template"), options.templates))


def scoped_params(actor: Actor, filters: Filters, team_of_users: dict[int, int | None], today: date) -> tuple[Scope, dict]:
    """The caller's scope narrowed by the filters, and the bound parameters of the named queries."""
    scope = scope_for(actor, filters.team_id, filters.user_id, team_of_users)
    if actor.role not in (Role.SALES, Role.MANAGER) and filters.team_id is not None and scope.team_id != filters.team_id:
        scope = Scope(team_id=-1, user_id=scope.user_id)  # a user outside the chosen team: nothing
    since, until = filters.window(today)
    return scope, {"since": since, "until": until, "team_id": scope.team_id, "user_id": scope.user_id,
                   "business_type": filters.business_type, "step": filters.step, "template_id": filters.template_id}


def utc_today(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
