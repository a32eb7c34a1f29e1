"""The in-process scheduler (APScheduler 3): the follow-up run every FOLLOWUP_INTERVAL_S.

Correctness never depends on a single scheduler: every step's effect is guarded by a unique key in
the database (DESIGN section 2), so a second scheduler can only waste work. To not even waste it,
on PostgreSQL exactly one process leads (data/leadership.py); the others try again at every tick.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from data.leadership import Leadership
from services.deps import Dependencies
from services.followups import run_due_followups

log = logging.getLogger(__name__)
FOLLOWUP_JOB = "followups"
FIRST_RUN_AFTER = timedelta(seconds=5)  # a newcomer sees the first follow-ups go out at once


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


def start_scheduler(deps: Dependencies) -> BackgroundScheduler:
    """Start the scheduler with the follow-up job (the app's automation); its first run comes within
    seconds of start-up."""
    settings = deps.settings
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    leadership = Leadership(deps.engine)
    job = FollowupJob(deps.uow, deps.followups, deps.clock, leadership)
    scheduler.add_job(job, "interval", seconds=settings.followup_interval_s, id=FOLLOWUP_JOB, coalesce=True,
                      max_instances=1, misfire_grace_time=settings.followup_interval_s,
                      next_run_time=datetime.now(timezone.utc) + FIRST_RUN_AFTER)
    scheduler.leadership = leadership  # released by stop_scheduler
    scheduler.start()
    log.info("scheduler started: follow-ups every %d s", settings.followup_interval_s)
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    scheduler.shutdown(wait=False)
    getattr(scheduler, "leadership", Leadership(None)).release()
