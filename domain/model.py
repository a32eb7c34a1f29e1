"""Leads, activities and customers: the vocabulary every layer shares."""
from __future__ import annotations

from enum import Enum


class BusinessType(str, Enum):
    RESTAURANT = "RESTAURANT"
    HOTEL = "HOTEL"
    CANTEEN = "CANTEEN"
    CATERING = "CATERING"
    OTHER = "OTHER"


class LeadStatus(str, Enum):
    REGISTERED = "REGISTERED"
    ACTIVE = "ACTIVE"
    REMINDER = "REMINDER"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


class ActivityType(str, Enum):
    EMAIL = "EMAIL"
    CALL = "CALL"
    MEETING = "MEETING"
    SAMPLE_SENT = "SAMPLE_SENT"
    ORDER = "ORDER"
    NOTE = "NOTE"
    FOLLOW_UP = "FOLLOW_UP"
    REPLY = "REPLY"
    CONVERSION = "CONVERSION"
    TASK = "TASK"


class Outcome(str, Enum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"
    OUT_OF_OFFICE = "OUT_OF_OFFICE"
    UNSUBSCRIBE = "UNSUBSCRIBE"


class Step(str, Enum):
    """The sequence of a lead: two mails, then a check whether its owner must call."""

    T3 = "T3"
    T7 = "T7"
    REMIND = "REMIND"  # still silent after T+7: status REMINDER and a call task for the owner


class MessageStatus(str, Enum):
    """Where one queued mail stands (table email_messages): the email core moves it, the queue's queries read it."""

    QUEUED = "queued"
    SENDING = "sending"  # recorded before the provider call; an unconfirmed one is reconciled, not resent
    SENT = "sent"
    FAILED = "failed"    # a retry is planned (next_attempt_at)
    DEAD = "dead"        # permanent error or too many attempts
    SUPPRESSED = "suppressed"    # suppressed or consent withdrawn between queueing and sending
    UNCONFIRMED = "unconfirmed"  # the provider may have it (no answer, or a crash): never resent


# The steps that send a mail (REMIND asks the owner to call instead).
MAIL_STEPS = (Step.T3, Step.T7)


# Contact that counts as real progress: it pauses the automated follow-up (DESIGN section 3).
MEANINGFUL_CONTACT = frozenset(
    {ActivityType.EMAIL, ActivityType.CALL, ActivityType.MEETING, ActivityType.SAMPLE_SENT, ActivityType.ORDER}
)

# Statuses in which the automation has nothing left to do.
CLOSED_STATUSES = frozenset({LeadStatus.CONVERTED, LeadStatus.LOST})


def followup_state(status: str, last_step: str | None) -> str:
    """A one-word summary of where a lead stands in its sequence, for tables and filters."""
    if status in (LeadStatus.CONVERTED, LeadStatus.LOST):
        return "closed"
    if last_step == Step.T7:
        return "T+7 sent"
    if last_step == Step.T3:
        return "T+3 sent"
    return "awaiting T+3"
