"""The follow-up repository: due leads, their recent contacts, and the claims of sent steps."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.commit_flags import EVENTS_WRITTEN
from data.due_backlog import backlog_at
from data.followup_models import FollowupPause, FollowupStepRecord
from data.events import SqlAlchemyEvents
from data.models import Activity, EventRecord, Lead, Suppression
from data.repositories import scoped_to
from domain.model import MEANINGFUL_CONTACT, ActivityType
from domain.roles import Scope

CONTACT_TYPES = sorted(t.value for t in MEANINGFUL_CONTACT | {ActivityType.REPLY})


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

    def lock_due(self, lead_ids: list[int], now: datetime) -> list[Lead]:
        """The given leads that are still due, locked for this transaction. On PostgreSQL another
        scheduler's locked rows are skipped, not waited for: that one is handling them."""
        stmt = select(Lead).where(Lead.id.in_(lead_ids), Lead.next_followup_at <= now).order_by(Lead.id)
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True, of=Lead)
        return list(self.session.scalars(stmt))

    def lock_lead(self, lead_id: int) -> Lead | None:
        stmt = select(Lead).where(Lead.id == lead_id)
        return self.session.scalar(stmt.with_for_update(of=Lead) if self._postgres else stmt)

    def contacts_of(self, lead_ids: list[int], since: datetime) -> dict[int, list[tuple]]:
        """(type, outcome, occurred_at) of the activities that can stop a step, per lead, since `since`."""
        stmt = (select(Activity.lead_id, Activity.type, Activity.outcome, Activity.occurred_at)
                .where(Activity.lead_id.in_(lead_ids), Activity.occurred_at >= since, Activity.type.in_(CONTACT_TYPES)))
        found: dict[int, list[tuple]] = defaultdict(list)
        for lead_id, type_, outcome, at in self.session.execute(stmt):
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
        """Insert the keys of a batch at once; the keys this transaction won. Should any key exist
        already (another scheduler), each is claimed on its own and the taken ones are left out."""
        try:
            with self.session.begin_nested():
                self.session.add_all(records)
                self.session.flush()
            return {r.key for r in records}
        except IntegrityError:
            return {r.key for r in records if self.claim(r)}

    def claim(self, record: FollowupStepRecord) -> bool:
        """Insert the step's key; False when it exists already (another run has it, or had it)."""
        try:
            with self.session.begin_nested():
                self.session.add(record)
                self.session.flush()
        except IntegrityError:
            return False
        return True

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

    def paused_in(self, scope: Scope, limit: int) -> list[Lead]:
        """Leads in scope whose follow-ups a person paused, most recently paused first."""
        stmt = (select(Lead).join(FollowupPause, FollowupPause.lead_id == Lead.id)
                .order_by(FollowupPause.paused_at.desc(), Lead.id).limit(limit))
        return list(self.session.scalars(scoped_to(stmt, scope)))

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

    def add_events(self, records: list[EventRecord]) -> None:
        """Append a batch of outbox events with one insert; one by one (skipping any already
        logged) should an id repeat."""
        if not records:
            return
        table = EventRecord.__table__
        defaults = {c.key: c.default.arg for c in table.columns if c.default is not None and not callable(c.default.arg)}
        rows = [{c.key: _or(getattr(r, c.key), defaults.get(c.key)) for c in table.columns if c.key != "seq"}
                for r in records]
        try:
            with self.session.begin_nested():
                self.session.execute(insert(table), rows)
        except IntegrityError:
            events = SqlAlchemyEvents(self.session)
            for record in records:
                events.add(record)
        self.session.info[EVENTS_WRITTEN] = True


def _or(value, default):
    return default if value is None else value
