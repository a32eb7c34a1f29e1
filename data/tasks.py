"""Repository of call tasks (table tasks): created with one insert per batch, listed and counted in
the caller's scope (the scope of their leads), closed and snoozed in one statement each."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from data.bulk import insert_many
from data.commit_flags import TASKS_WRITTEN
from data.models import Lead, User
from data.repositories import scoped_to
from data.row_window import RowWindow
from data.task_models import Task
from domain.roles import Scope

_OPEN = Task.done_at.is_(None)
SORTS = {"due_at": Task.due_at, "created_at": Task.created_at, "company": Lead.company,
         "contact_name": Lead.contact_name, "owner": User.display_name}


@dataclass(frozen=True)
class OpenTask:
    """One open task with what its owner needs to make the call."""

    id: int
    lead_id: int
    title: str
    due_at: datetime
    created_at: datetime
    snoozes: int
    company: str
    contact_name: str | None
    phone: str | None
    email: str | None
    timezone: str
    owner: str | None


class SqlAlchemyTasks:
    def __init__(self, session: Session):
        self.session = session

    def add_many(self, rows: list[dict]) -> set[str]:
        """Insert tasks (column dicts) with one statement; the keys written. A key that exists already
        (a replayed batch, a second scheduler) is left out, not an error."""
        if not rows:
            return set()
        with self.session.begin_nested():
            written = insert_many(self.session.connection(), Task.__table__, rows,
                                  skip_conflicts_on=("key",), returning=("key",))
        if written:
            self.session.info[TASKS_WRITTEN] = True
        return {key for (key,) in written}

    def count_open(self, scope: Scope) -> int:
        """Every task has its lead, so everything needs no join. A scope is counted lead by lead over the
        open tasks' partial index: a join let SQLite walk every open task and look its lead up."""
        if scope.everything:
            return self.session.scalar(select(func.count()).select_from(Task).where(_OPEN)) or 0
        per_lead = select(func.count()).select_from(Task).where(Task.lead_id == Lead.id, _OPEN).scalar_subquery()
        return int(self.session.scalar(scoped_to(select(func.coalesce(func.sum(per_lead), 0)), scope)) or 0)

    def open_page(self, scope: Scope, window: RowWindow) -> tuple[list[OpenTask], int]:
        """One window of the open tasks in scope, soonest due first unless sorted otherwise; and how many there are."""
        key = SORTS.get(window.sort, Task.due_at)
        order = (key.desc() if window.descending else key.asc(), Task.id)
        stmt = (scoped_to(select(Task.id, Task.lead_id, Task.title, Task.due_at, Task.created_at, Task.snoozes,
                                 Lead.company, Lead.contact_name, Lead.phone, Lead.email, Lead.timezone,
                                 User.display_name)
                          .join(Lead, Lead.id == Task.lead_id).outerjoin(User, User.id == Lead.owner_id)
                          .where(_OPEN), scope)
                .order_by(*order).offset(window.offset).limit(window.limit))
        return [OpenTask(*row) for row in self.session.execute(stmt)], self.count_open(scope)

    def open_among(self, ids: list[int], scope: Scope) -> list[tuple[int, datetime, str]]:
        """(id, due_at, the lead's time zone) of those of `ids` that are open and in scope."""
        if not ids:
            return []
        stmt = scoped_to(select(Task.id, Task.due_at, Lead.timezone).join(Lead, Lead.id == Task.lead_id)
                         .where(_OPEN, Task.id.in_(ids)), scope)
        return [tuple(row) for row in self.session.execute(stmt)]

    def close(self, ids: list[int], user_id: int, now: datetime) -> int:
        """Mark open tasks done; how many were still open (a concurrent close counts once)."""
        if not ids:
            return 0
        stmt = update(Task).where(Task.id.in_(ids), _OPEN).values(done_at=now, done_by=user_id)
        closed = self.session.execute(stmt).rowcount
        if closed:
            self.session.info[TASKS_WRITTEN] = True
        return closed

    def snooze(self, due: dict[int, datetime]) -> None:
        """Move open tasks to their new due dates (task id -> when), one statement."""
        if not due:
            return
        table = Task.__table__
        stmt = (update(table).where(table.c.id == bindparam("task"), table.c.done_at.is_(None))
                .values(due_at=bindparam("new_due"), snoozes=table.c.snoozes + 1))
        self.session.connection().execute(stmt, [{"task": i, "new_due": at} for i, at in due.items()])
