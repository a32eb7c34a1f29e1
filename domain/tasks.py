"""Call tasks: a lead still silent after T+7 asks its owner to call. When a task is due, when it is
overdue, and how far a snooze moves it. Pure: times come in, times go out."""
from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

CALL = "CALL"
CALL_AFTER_T7 = "Nach T+7 anrufen"  # the title the TASK activity of the follow-up run carries too
DONE = "done"
# A snooze moves the due date, counted from the later of now and the current due date.
SNOOZES = {"1d": "1 day", "3d": "3 days", "next_week": "next week"}
ACTIONS = (DONE, *SNOOZES)
MONDAY_CALLS_AT = time(9)  # "next week" means Monday morning in the lead's own time zone


def call_task(lead_id: int, key: str, now: datetime, due_at: datetime) -> dict:
    """The columns of a new call task. `key` is the reminder step's key: one task per lead reminder."""
    return {"key": key, "lead_id": lead_id, "kind": CALL, "title": CALL_AFTER_T7, "created_at": now,
            "due_at": due_at, "done_at": None, "done_by": None, "snoozes": 0}


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return due_at <= now


def snoozed_until(choice: str, due_at: datetime, now: datetime, zone: tzinfo) -> datetime:
    """The new due date of a task snoozed by `choice` (a key of SNOOZES)."""
    start = max(due_at, now)
    if choice == "1d":
        return start + timedelta(days=1)
    if choice == "3d":
        return start + timedelta(days=3)
    if choice == "next_week":
        local = start.astimezone(zone)
        monday = local.date() + timedelta(days=7 - local.weekday())
        return datetime.combine(monday, MONDAY_CALLS_AT, tzinfo=zone).astimezone(start.tzinfo)
    raise ValueError(f"unknown snooze {choice!r}")
