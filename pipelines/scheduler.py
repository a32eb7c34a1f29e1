"""The in-process scheduler (APScheduler 3): the follow-up run every FOLLOWUP_INTERVAL_S.

Correctness never depends on a single scheduler: every step's effect is guarded by a unique key in
the database (DESIGN section 2), so a second scheduler can only waste work. To not even waste it,
on PostgreSQL exactly one process leads: the one holding a session advisory lock on a connection of
its own. The others try again at every tick and take over once the leader's connection is gone.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, text

from services.followups import automation_from_settings, run_due_followups

log = logging.getLogger(__name__)
FOLLOWUP_JOB = "followups"
LEADER_LOCK = 727003  # 727001 migrations, 727002 demo seeding
FIRST_RUN_AFTER = timedelta(seconds=5)  # a newcomer sees the first follow-ups go out at once


class Leadership:
    """Whether this process leads the scheduled jobs. SQLite: always (one process owns the file)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn = None

    def is_leader(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True  # the session, and with it the lock, is still alive
            except Exception:  # noqa: BLE001 - connection lost: the lock went with it
                log.warning("lost the scheduler leader connection; trying to lead again")
                self._discard()
        return self._try_lock()

    def _try_lock(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            won = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar())
        except Exception:  # noqa: BLE001 - database unreachable: not the leader this time
            log.exception("could not ask for the scheduler leader lock")
            won = False
        if won:
            self._conn = conn
            log.info("this process now leads the scheduler")
        else:
            conn.close()
        return won

    def _discard(self) -> None:
        try:
            self._conn.invalidate()  # never hand a connection holding the lock back to the pool
        finally:
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            self._discard()


class FollowupJob:
    """One tick: if this process leads, run the due follow-ups; a failure is logged, never raised."""

    def __init__(self, uow, automation, clock, leadership: Leadership):
        self.uow, self.automation, self.clock, self.leadership = uow, automation, clock, leadership

    def __call__(self):
        if not self.leadership.is_leader():
            return None
        try:
            summary = run_due_followups(self.uow, self.automation, self.clock)
        except Exception:  # noqa: BLE001 - the next tick tries again; the keys keep it exactly once
            log.exception("follow-up run failed")
            return None
        log.info("follow-up run %s: %d sent, %d skipped, %d failed in %.2f s", summary.run_id, summary.sent,
                 summary.skipped, summary.failed, summary.duration_s)
        return summary


def start_scheduler(deps, automation=None) -> BackgroundScheduler:
    """Start the scheduler with the follow-up job; its first run comes within seconds of start-up."""
    settings = deps.settings
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    leadership = Leadership(deps.engine)
    job = FollowupJob(deps.uow, automation or automation_from_settings(settings), deps.clock, leadership)
    scheduler.add_job(job, "interval", seconds=settings.followup_interval_s, id=FOLLOWUP_JOB, coalesce=True,
                      max_instances=1, misfire_grace_time=settings.followup_interval_s,
                      next_run_time=datetime.now(timezone.utc) + FIRST_RUN_AFTER)
    scheduler.leadership = leadership  # released by stop_scheduler
    scheduler.start()
    log.info("scheduler started: follow-ups every %d s", settings.followup_interval_s)
    return scheduler


def run_followups_now(scheduler: BackgroundScheduler) -> None:
    """An admin's "run now": the follow-up job's next run moves to this moment (still one at a time)."""
    scheduler.get_job(FOLLOWUP_JOB).modify(next_run_time=datetime.now(timezone.utc))


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    scheduler.shutdown(wait=False)
    getattr(scheduler, "leadership", Leadership(None)).release()
