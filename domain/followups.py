"""Follow-up rules (DESIGN section 3): when T+3 and T+7 are due, whether a due step is sent, skipped
or re-planned, and what the mail offers. Pure: the holiday calendar and the clock come in as values.

A lead passed in here is anything with the Lead columns (the ORM row works as it is).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from functools import lru_cache
from typing import Iterable, Protocol
from zoneinfo import ZoneInfo

from domain.events import idempotency_key
from domain.model import CLOSED_STATUSES, MEANINGFUL_CONTACT, ActivityType, LeadStatus, Outcome, Step

UTC = timezone.utc


BUSINESS_DAYS_AFTER = {Step.T3: 3, Step.T7: 7}
TEMPLATE_KIND = {Step.T3: "SAMPLE_REQUEST", Step.T7: "FOLLOW_UP"}
_NEXT = {None: Step.T3, Step.T3.value: Step.T7, Step.T7.value: Step.REMIND}


class HolidayCalendar(Protocol):
    def is_holiday(self, country: str, day: date) -> bool: ...


class NoHolidays:
    def is_holiday(self, country: str, day: date) -> bool:
        return False


@dataclass(frozen=True)
class FollowupPolicy:
    opens: time = time(8)
    closes: time = time(18)
    business_days: frozenset[int] = frozenset(range(5))  # Monday=0
    holidays: bool = True
    stale_after: timedelta = timedelta(hours=24)
    reminder_after_days: int = 2  # business days after T+7 before the owner is asked to call


@dataclass(frozen=True)
class BusinessTime:
    """Business days and hours of one place: a policy, a country's holidays and a time zone."""

    policy: FollowupPolicy
    calendar: HolidayCalendar
    country: str
    tz: ZoneInfo

    def is_business_day(self, day: date) -> bool:
        if day.weekday() not in self.policy.business_days:
            return False
        return not (self.policy.holidays and self.calendar.is_holiday(self.country, day))

    def at(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return self.is_business_day(local.date()) and self.policy.opens <= local.time() < self.policy.closes

    def next_opening(self, moment: datetime) -> datetime:
        """The first opening time strictly after `moment`."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.is_business_day(day) and local.time() < self.policy.opens:
            return self.at(day, self.policy.opens)
        for _ in range(400):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return self.at(day, self.policy.opens)
        raise ValueError("no business day within a year; check the business days and holidays")

    def next_slot(self, moment: datetime) -> datetime:
        """`moment` itself when it lies in business hours, else the next opening."""
        return moment if self.is_open(moment) else self.next_opening(moment)

    def add_days(self, moment: datetime, days: int) -> datetime:
        """`days` business days after the slot of `moment`, at the same local wall time."""
        start = self.next_slot(moment).astimezone(self.tz)
        day = start.date()
        while days > 0:
            day += timedelta(days=1)
            days -= self.is_business_day(day)
        return self.at(day, start.time())


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Berlin")
    except (ValueError, KeyError):  # an unknown zone name: the company's home zone rather than a crash
        return ZoneInfo("Europe/Berlin")


def business_time(lead, policy: FollowupPolicy, calendar: HolidayCalendar) -> BusinessTime:
    return BusinessTime(policy, calendar, (lead.country or "DE").upper(), _zone(lead.timezone))


def clock_start(lead) -> datetime:
    """The sample delivery starts the clock; without one, the registration does."""
    return lead.sample_delivered_at or lead.registered_at


def step_key(lead_id: int, step: Step | str, started: datetime) -> str:
    """The deterministic key of one step of one sequence: unique in the database, so sent once."""
    return idempotency_key("followup", lead_id, Step(step).value, started.astimezone(UTC).isoformat())


def next_step(last_step: str | None) -> Step | None:
    return _NEXT.get(last_step)


def step_due_at(lead, step: Step, bt: BusinessTime) -> datetime:
    """T+3 / T+7: business days after the clock start (counted from the next opening when the clock
    started outside business hours), at the same local time."""
    return bt.add_days(clock_start(lead), BUSINESS_DAYS_AFTER[step])


def due_after(lead, handled: Step, now: datetime, bt: BusinessTime) -> datetime | None:
    """When the step after `handled` is due; never earlier than the next opening after `now`."""
    if handled == Step.T3:
        return max(step_due_at(lead, Step.T7, bt), bt.next_opening(now))
    if handled == Step.T7:
        return bt.add_days(now, bt.policy.reminder_after_days)
    return None


class SkipReason(str, Enum):
    CONVERTED = "converted"
    LOST = "lost"
    CLOCK_STOPPED = "clock_stopped"
    UNSUBSCRIBED = "unsubscribed"
    REPLIED = "replied"
    BOUNCED = "bounced"
    NO_CONSENT = "no_consent"
    NO_EMAIL = "no_email"
    CONTACT = "meaningful_contact"


@dataclass(frozen=True)
class Contact:
    """An activity of the lead that may stop a step: its type, outcome and time."""

    type: str
    outcome: str | None
    at: datetime


def _reply_reason(replies: list[Contact]) -> SkipReason | None:
    if any(c.outcome == Outcome.UNSUBSCRIBE.value for c in replies):
        return SkipReason.UNSUBSCRIBED
    if any(c.outcome != Outcome.OUT_OF_OFFICE.value for c in replies):
        return SkipReason.REPLIED  # an absence notice is no answer
    return None


def _mail_reason(lead, suppression: str | None) -> SkipReason | None:
    if suppression:
        return SkipReason.BOUNCED if "bounce" in suppression.lower() else SkipReason.UNSUBSCRIBED
    if not lead.email_consent:
        return SkipReason.NO_CONSENT
    return None if lead.email else SkipReason.NO_EMAIL


def skip_reason(lead, step: Step, contacts: Iterable[Contact], window_start: datetime, now: datetime,
                suppression: str | None = None) -> str | None:
    """Why a due step must not go out, or None. `contacts` are the lead's activities since the clock
    start; meaningful contact counts in (window_start, now], replies since the clock start."""
    if lead.status in CLOSED_STATUSES:
        return (SkipReason.CONVERTED if lead.status == LeadStatus.CONVERTED.value else SkipReason.LOST).value
    if lead.clock_stopped_at is not None:
        return SkipReason.CLOCK_STOPPED.value
    contacts = [c for c in contacts if c.at <= now]
    reason = _reply_reason([c for c in contacts if c.type == ActivityType.REPLY.value])
    if reason is None and step != Step.REMIND:  # the call task needs no mail address or consent
        reason = _mail_reason(lead, suppression)
    if reason is not None:
        return reason.value
    touched = sorted((c for c in contacts if c.type in MEANINGFUL_CONTACT and c.at > window_start), key=lambda c: c.at)
    return f"{SkipReason.CONTACT.value}:{touched[-1].type}" if touched else None


class Action(str, Enum):
    SEND = "send"      # send the mail (T3/T7) or raise the reminder (REMIND)
    SKIP = "skip"      # record the step as skipped, with the reason
    REPLAN = "replan"  # not now: stale after an outage or outside business hours; `at` is the new time
    DONE = "done"      # the sequence is over; nothing is due any more


@dataclass(frozen=True)
class Decision:
    action: Action
    step: Step | None = None
    reason: str | None = None
    at: datetime | None = None


def window_start(lead, step: Step, bt: BusinessTime, previous_step_at: datetime | None) -> datetime:
    """Contact counts since the previous step went out (or was due), or since the clock start for T+3."""
    if previous_step_at is not None:
        return previous_step_at
    if step == Step.T3:
        return clock_start(lead)
    return step_due_at(lead, Step.T3 if step == Step.T7 else Step.T7, bt)


def decide(lead, now: datetime, bt: BusinessTime, contacts: Iterable[Contact], *, suppression: str | None = None,
           previous_step_at: datetime | None = None, on_demand: bool = False) -> Decision:
    """What the run does with a lead found due at `now`. `on_demand` (a manager's "send now") ignores
    the schedule but never the skip rules."""
    step = next_step(lead.last_followup_step)
    if step is None:
        return Decision(Action.DONE)
    reason = skip_reason(lead, step, contacts, window_start(lead, step, bt, previous_step_at), now, suppression)
    if reason is not None:
        return Decision(Action.SKIP, step, reason)
    if on_demand:
        return Decision(Action.SEND, step)
    due = lead.next_followup_at or now
    if now - due > bt.policy.stale_after:
        return Decision(Action.REPLAN, step, "stale", bt.next_opening(now))
    if not bt.is_open(now):
        return Decision(Action.REPLAN, step, "outside_business_hours", bt.next_slot(now))
    return Decision(Action.SEND, step)


# Content: what the mails offer (DESIGN section 3).
STARTER_BOX = "FreshPlan Starterbox"
SAMPLE_ADDONS = {"RESTAURANT": "Saucen-Set", "HOTEL": "Frühstücks-Set", "CANTEEN": "Suppen-Set",
                 "CATERING": "Fingerfood-Set", "OTHER": "Snack-Set"}
SEASONAL_ITEMS = {12: "Wintergemüse-Mix", 1: "Wintergemüse-Mix", 2: "Wintergemüse-Mix", 3: "Bärlauch-Pesto",
                  4: "Spargelcremesuppe", 5: "Spargelcremesuppe", 6: "Beeren-Dessert", 7: "Beeren-Dessert",
                  8: "Sommer-Gazpacho", 9: "Kürbis-Cremesuppe", 10: "Kürbis-Cremesuppe", 11: "Wildfond"}


@dataclass(frozen=True)
class Offer:
    discount_percent: int
    min_order_eur: int


OFFERS = {"RESTAURANT": Offer(15, 500), "HOTEL": Offer(20, 1000), "CANTEEN": Offer(25, 2000),
          "CATERING": Offer(10, 300)}
DEFAULT_OFFER = Offer(10, 250)


def sample_box(business_type: str, month: int) -> tuple[str, str, str]:
    """The products of the sample box: the starter box, an add-on by business type, a seasonal item."""
    return STARTER_BOX, SAMPLE_ADDONS.get(business_type, SAMPLE_ADDONS["OTHER"]), SEASONAL_ITEMS[month]


def offer_for(business_type: str) -> Offer:
    return OFFERS.get(business_type, DEFAULT_OFFER)


def mail_variables(lead, step: Step, now: datetime) -> dict:
    """The template variables of a step's mail for this lead."""
    local = now.astimezone(_zone(lead.timezone))
    offer = offer_for(lead.business_type)
    common = {"company": lead.company, "contact_name": lead.contact_name or lead.company, "city": lead.city or "",
              "business_type": lead.business_type}
    if step == Step.T3:
        return {**common, "products": list(sample_box(lead.business_type, local.month))}
    return {**common, "discount_percent": offer.discount_percent,
            "min_order_eur": f"{offer.min_order_eur:,}".replace(",", ".")}
