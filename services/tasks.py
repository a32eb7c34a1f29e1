"""The tasks inbox: the open call tasks in the caller's scope (sales their own leads', managers their
team's, admins everyone's), closed or snoozed one at a time or many at once, and how many are open
for the cockpit. Analysts and viewers have no tasks: `Forbidden`.

A task comes from the follow-up run (services/followup_run.py) in the transaction that turns its lead
to REMINDER, keyed by the reminder step, so a lead's reminder has exactly one task.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from data.row_window import RowWindow
from data.tasks import OpenTask
from domain.roles import Actor, Page, may_open, require
from domain.tasks import ACTIONS, DONE, is_overdue, snoozed_until
from services.clock import Clock, utc_now
from services.scopes import caller_scope

MAX_PER_ACTION = 500  # the rows a person can select at once in the grid
MAX_ID = 2**63 - 1
HOME_ZONE = ZoneInfo("Europe/Berlin")  # a lead whose time zone is unknown snoozes to Berlin's Monday


class InvalidTaskAction(ValueError):
    """An action or task list the inbox does not offer; the message says what is wrong."""


@dataclass(frozen=True)
class TaskRows:
    """One window of the caller's open tasks (as the grid shows them) and how many are open in all."""

    rows: list[dict]
    total: int


@dataclass(frozen=True)
class TaskChange:
    action: str
    asked: int  # tasks named
    changed: int  # of those, open and in the caller's scope


def _row(task: OpenTask, now: datetime) -> dict:
    return {"id": str(task.id), "lead_id": task.lead_id, "company": task.company, "contact_name": task.contact_name or "",
            "phone": task.phone or "", "email": task.email or "", "owner": task.owner or "", "title": task.title,
            "due_at": task.due_at.isoformat(), "timezone": task.timezone, "overdue": is_overdue(task.due_at, now),
            "snoozes": task.snoozes, "actions": list(ACTIONS)}


def tasks_page(uow, actor: Actor, window: RowWindow, clock: Clock = utc_now) -> TaskRows:
    """The open tasks the caller may see, one window of them (soonest due first unless sorted)."""
    require(actor, Page.TASKS)
    now = clock()
    with uow(write=False) as tx:
        tasks, total = tx.tasks.open_page(caller_scope(tx, actor), window)
    return TaskRows([_row(t, now) for t in tasks], total)


def open_task_count(tx, actor: Actor) -> int | None:
    """How many open tasks the caller sees on the tasks page (the cockpit shows it); None for a role
    without tasks. Read in the caller's transaction."""
    if not may_open(actor, Page.TASKS):
        return None
    return tx.tasks.count_open(caller_scope(tx, actor))


def _task_id(value) -> int:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_ID):
        raise InvalidTaskAction("A task is named by its positive id.")
    return int(text)


def _task_ids(task_ids) -> list[int]:
    """Ids as the grid keeps them (text) or as numbers, at most MAX_PER_ACTION."""
    if not isinstance(task_ids, (list, tuple)) or len(task_ids) > MAX_PER_ACTION:
        raise InvalidTaskAction(f"Name at most {MAX_PER_ACTION} tasks at once.")
    return sorted({_task_id(value) for value in task_ids})


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return HOME_ZONE


def act_on_tasks(uow, actor: Actor, action: str, task_ids, clock: Clock = utc_now) -> TaskChange:
    """Mark tasks done, or snooze them ("1d", "3d", "next_week"); those outside the caller's scope or
    closed already are left as they are (and not counted)."""
    require(actor, Page.TASKS)
    if action not in ACTIONS:
        raise InvalidTaskAction(f"The action is one of {', '.join(ACTIONS)}.")
    ids = _task_ids(task_ids)
    if not ids:
        return TaskChange(action, 0, 0)
    now = clock()
    with uow() as tx:
        found = tx.tasks.open_among(ids, caller_scope(tx, actor))
        if action == DONE:
            changed = tx.tasks.close([task_id for task_id, _due, _zone_name in found], actor.user_id, now)
        else:
            tx.tasks.snooze({task_id: snoozed_until(action, due, now, _zone(zone_name))
                             for task_id, due, zone_name in found})
            changed = len(found)
        tx.commit()
    return TaskChange(action, len(ids), changed)
