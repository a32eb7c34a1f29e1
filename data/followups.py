"""The follow-up repository: due leads, their recent contacts, and the claims of sent steps."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from data.bulk import insert_many
from data.due_backlog import backlog_at
from data.followup_models import FollowupPause, FollowupStepRecord
from data.followup_worklist import WorklistQuery, WorklistTotals, in_scope_for_update, worklist_page
from data.models import Activity, Lead, Suppression
from data.repositories import scoped_to
from domain.model import MEANINGFUL_CONTACT, ActivityType
from domain.roles import Scope

CONTACT_TYPES = sorted(t.value for t in MEANINGFUL_CONTACT | {ActivityType.REPLY})
CONTACT_SET = frozenset(CONTACT_TYPES)
PROGRESS_COLUMNS = ("next_followup_at", "last_followup_step", "status", "updated_at")
CLAIM_COLUMNS = ("key", "lead_id", "step", "clock_start", "status", "attempts", "planned_at", "claimed_at", "run_id")


class SqlAlchemyFollowups:
    def __init__(self, session: Session):
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def due_lead_ids(self, now: datetime) -> list[int]:
        """Ids of the leads whose next step is due, oldest first (an index range scan)."""
        stmt = select(Lead.id).where(Lead.next_followup_at <= now).order_by(Lead.next_followup_at, Lead.id)
        return list(self.session.scalars(stmt))

    def planned_by_last_step(self) -> dict[str | None, int]:
        """How many leads have a next step planned, by the step they had last (one indexed GROUP BY)."""
        stmt = (select(Lead.last_followup_step, func.count()).where(Lead.next_followup_at.is_not(None))
                .group_by(Lead.last_followup_step))
        return dict(self.session.execute(stmt).all())

    def lock_due(self, lead_ids: list[int], now: datetime) -> list[SimpleNamespace]:
        """The given leads that are still due, locked for this transaction. On PostgreSQL another
        scheduler's locked rows are skipped, not waited for: that one is handling them. Plain rows, not
        ORM objects (a run reads thousands): the run changes them and save_progress() writes them back."""
        table = Lead.__table__
        stmt = select(table).where(table.c.id.in_(lead_ids), table.c.next_followup_at <= now).order_by(table.c.id)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return [SimpleNamespace(**row) for row in self.session.execute(stmt).mappings()]

    def save_progress(self, leads: list) -> None:
        """Write where each lead's sequence stands (next step, last step, status) with one statement."""
        if leads:
            table = Lead.__table__
            stmt = update(table).where(table.c.id == bindparam("lead")).values(
                {name: bindparam(f"new_{name}") for name in PROGRESS_COLUMNS})
            self.session.connection().execute(stmt, [{"lead": lead.id, **{f"new_{n}": getattr(lead, n) for n in
                                                                         PROGRESS_COLUMNS}} for lead in leads])

    def lock_lead(self, lead_id: int) -> Lead | None:
        stmt = select(Lead).where(Lead.id == lead_id)
        return self.session.scalar(stmt.with_for_update(of=Lead) if self._postgres else stmt)

    def contacts_of(self, lead_ids: list[int], since: datetime) -> dict[int, list[tuple]]:
        """(type, outcome, occurred_at) of the activities that can stop a step, per lead, since `since`.
        The types are filtered here, not in SQL: with them in the WHERE clause SQLite picks the (type, time)
        index and scans every contact of every lead since `since`, not the batch's few rows."""
        stmt = (select(Activity.lead_id, Activity.type, Activity.outcome, Activity.occurred_at)
                .where(Activity.lead_id.in_(lead_ids), Activity.occurred_at >= since))
        found: dict[int, list[tuple]] = defaultdict(list)
        wanted = CONTACT_SET
        for lead_id, type_, outcome, at in self.session.execute(stmt):
            if type_ in wanted:
                found[lead_id].append((type_, outcome, at))
        return found

    def steps_of(self, lead_ids: list[int]) -> dict[int, list[FollowupStepRecord]]:
        found: dict[int, list[FollowupStepRecord]] = defaultdict(list)
        stmt = select(FollowupStepRecord).where(FollowupStepRecord.lead_id.in_(lead_ids)).order_by(FollowupStepRecord.id)
        for record in self.session.scalars(stmt):
            found[record.lead_id].append(record)
        return found

    def suppressions_of(self, emails: list[str]) -> dict[str, str]:
        """Suppression reason by lower-cased address, for the addresses given."""
        wanted = sorted({e.lower() for e in emails if e})
        if not wanted:
            return {}
        stmt = select(Suppression.email, Suppression.reason).where(func.lower(Suppression.email).in_(wanted))
        return {email.lower(): reason for email, reason in self.session.execute(stmt)}

    def claim_many(self, records: list[FollowupStepRecord]) -> set[str]:
        """Insert the keys of a batch with one statement; the keys this transaction won. A key that
        exists already (another scheduler has it, or had it) is left out, not an error. The records
        stay out of the session: settle() writes their outcome."""
        rows = [{c: getattr(r, c) for c in CLAIM_COLUMNS} for r in records]
        with self.session.begin_nested():
            return {key for (key,) in insert_many(self.session.connection(), FollowupStepRecord.__table__, rows,
                                                  skip_conflicts_on=("key",), returning=("key",))}

    def settle(self, records: list[FollowupStepRecord]) -> None:
        """Write what became of claimed steps (status, reason, sent_at, email_key) with one statement."""
        if records:
            table = FollowupStepRecord.__table__
            stmt = (update(table).where(table.c.key == bindparam("k"))
                    .values(status=bindparam("s"), reason=bindparam("r"), sent_at=bindparam("t"),
                            email_key=bindparam("e")))
            self.session.connection().execute(stmt, [{"k": r.key, "s": r.status, "r": r.reason, "t": r.sent_at,
                                                      "e": r.email_key} for r in records])

    def reclaim_failed(self, key: str, now: datetime, run_id: str) -> FollowupStepRecord | None:
        """Take over a step whose earlier attempt failed, atomically: only one run wins the update."""
        stmt = (update(FollowupStepRecord).where(FollowupStepRecord.key == key, FollowupStepRecord.status == "failed")
                .values(status="claimed", attempts=FollowupStepRecord.attempts + 1, claimed_at=now, run_id=run_id))
        if self.session.execute(stmt).rowcount != 1:
            return None
        return self.session.scalar(select(FollowupStepRecord).where(FollowupStepRecord.key == key)
                                   .execution_options(populate_existing=True))

    def timeline(self, lead_id: int) -> list[FollowupStepRecord]:
        stmt = select(FollowupStepRecord).where(FollowupStepRecord.lead_id == lead_id).order_by(FollowupStepRecord.claimed_at)
        return list(self.session.scalars(stmt))

    def due_until(self, scope: Scope, until: datetime, limit: int) -> list[Lead]:
        """Leads in scope whose next step is planned before `until`, soonest first."""
        stmt = (select(Lead).where(Lead.next_followup_at.is_not(None), Lead.next_followup_at < until)
                .order_by(Lead.next_followup_at, Lead.id).limit(limit))
        return list(self.session.scalars(scoped_to(stmt, scope)))

    def backlog_at(self, scope: Scope, instants: list[datetime]) -> dict[str, list[int]]:
        """Steps due and not yet handled at each instant, by step (data/due_backlog.py)."""
        return backlog_at(self.session, scope, instants)

    def worklist(self, query: WorklistQuery) -> tuple[list[dict], WorklistTotals]:
        """One page of the Follow-ups page's list and its totals (data/followup_worklist.py)."""
        return worklist_page(self.session, query)

    def lock_in_scope(self, lead_ids: list[int], scope: Scope) -> list[SimpleNamespace]:
        """The given leads within `scope`, each with `paused`, locked for this transaction on PostgreSQL."""
        return [SimpleNamespace(**row) for row in in_scope_for_update(self.session, lead_ids, scope)]

    def pause_many(self, lead_ids: list[int], user_id: int | None, now: datetime) -> None:
        """Pause these leads: one insert of the pauses (a lead paused meanwhile is left out), one update
        that takes their planned step off the schedule."""
        if lead_ids:
            rows = [{"lead_id": lead_id, "paused_by": user_id, "paused_at": now} for lead_id in lead_ids]
            insert_many(self.session.connection(), FollowupPause.__table__, rows, skip_conflicts_on=("lead_id",))
            self.session.execute(update(Lead.__table__).where(Lead.__table__.c.id.in_(lead_ids))
                                 .values(next_followup_at=None, updated_at=now))

    def resume_many(self, lead_ids: list[int]) -> None:
        if lead_ids:
            self.session.execute(delete(FollowupPause).where(FollowupPause.lead_id.in_(lead_ids)))

    def is_paused(self, lead_id: int) -> bool:
        return self.session.get(FollowupPause, lead_id) is not None

    def paused_among(self, lead_ids: list[int]) -> set[int]:
        stmt = select(FollowupPause.lead_id).where(FollowupPause.lead_id.in_(lead_ids))
        return set(self.session.scalars(stmt))

    def pause(self, lead_id: int, user_id: int | None, now: datetime) -> None:
        if not self.is_paused(lead_id):
            self.session.add(FollowupPause(lead_id=lead_id, paused_by=user_id, paused_at=now))
            self.session.flush()

    def resume(self, lead_id: int) -> bool:
        return self.session.execute(delete(FollowupPause).where(FollowupPause.lead_id == lead_id)).rowcount > 0
