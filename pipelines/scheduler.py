"""The in-process scheduler (APScheduler 3). Jobs are added by the capabilities that need them.

Correctness never depends on a single scheduler: every job's effect is guarded by a unique key in
the database (DESIGN section 2), so a second scheduler can only waste work.
"""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def start_scheduler(deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.start()
    log.info("scheduler started")
    return scheduler
