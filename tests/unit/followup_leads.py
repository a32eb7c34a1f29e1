"""Leads and clocks for the follow-up rule tests: a plain lead, local times, the due time of a step."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from domain.followups import FollowupPolicy, business_time, step_due_at
from domain.model import Step
from services.holiday_calendar import PublicHolidays

UTC = timezone.utc
BERLIN, ZURICH, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/Zurich"), ZoneInfo("America/New_York")
POLICY = FollowupPolicy()
HOLIDAYS = PublicHolidays()


@dataclass
class Lead:
    registered_at: datetime
    sample_delivered_at: datetime | None = None
    id: int = 7
    company: str = "Gasthaus Zur Linde"
    contact_name: str | None = "Anna Müller"
    city: str | None = "Köln"
    business_type: str = "RESTAURANT"
    country: str = "DE"
    timezone: str = "Europe/Berlin"
    email: str | None = "anna@linde.example"
    email_consent: bool = True
    status: str = "ACTIVE"
    clock_stopped_at: datetime | None = None
    last_followup_step: str | None = None
    next_followup_at: datetime | None = None


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def lead_at(tz, *args, country="DE", **kw) -> Lead:
    return Lead(registered_at=local(tz, *args), country=country, timezone=str(tz), **kw)


def due(lead, step=Step.T3, policy=POLICY, calendar=HOLIDAYS) -> datetime:
    return step_due_at(lead, step, business_time(lead, policy, calendar))
