"""What a follow-up run is given (the rules and the email core it sends through) and what it
reports back (counts per step and outcome, errors, duration)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from domain.followups import FollowupPolicy, HolidayCalendar
from mailer.api import MailRequest, QueueOutcome, RenderedMail, queue_mail, render_template
from services.analytics_roi import current_assumptions
from services.telemetry import NO_TELEMETRY, Telemetry


def render_with_template_store(tx, kind: str, locale: str, variables: dict, pick: str) -> RenderedMail:
    return render_template(tx, kind, locale, variables, pick)  # the email core renders in its sandbox


def no_holdout(uow) -> float:
    return 0.0


def stored_holdout_share(uow) -> float:
    """The holdout share an admin set on the ROI page (its default until then)."""
    return current_assumptions(uow)["holdout_share"]


def queue_with_email_core(tx, request: MailRequest, key: str, now: datetime) -> QueueOutcome:
    return queue_mail(tx, request, key, now)


@dataclass(frozen=True)
class FollowupAutomation:
    """What a run needs besides the database and the clock: the rules and the email core."""

    policy: FollowupPolicy
    calendar: HolidayCalendar
    unsubscribe_url: Callable[[str], str] = lambda email: ""
    render: Callable = render_with_template_store
    queue: Callable = queue_with_email_core
    locale: str = "de"
    telemetry: Telemetry = NO_TELEMETRY  # counts and durations of the runs (web/metrics.py)
    holdout_share: Callable = no_holdout  # read once per run: stored_holdout_share in production


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_s: float = 0.0
    counts: Counter = field(default_factory=Counter)  # (step, outcome) -> leads
    errors: Counter = field(default_factory=Counter)  # (step, failure class) -> leads

    def total(self, outcome: str) -> int:
        return sum(n for (_, o), n in self.counts.items() if o == outcome)

    @property
    def sent(self) -> int:
        return self.total("sent")

    @property
    def skipped(self) -> int:
        return self.total("skipped")

    @property
    def failed(self) -> int:
        return self.total("failed")

    def by_step(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for (step, outcome), n in sorted(self.counts.items()):
            table.setdefault(step, {})[outcome] = n
        return table
