"""What a follow-up run is given (the rules and the email core it sends through), what it reads per
batch (the facts of its leads) and what it reports back (counts per step and outcome, errors, duration)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from domain.followups import FollowupPolicy, HolidayCalendar, clock_start
from mailer.api import MailRequest, QueueOutcome, RenderedMail, queue_mail, queue_mails, render_template
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

    def queue_batch(self, tx, items: list[tuple[MailRequest, str]], now: datetime) -> list:
        """Queue a batch of (request, key): the email core's batch queue (a few statements), or a given
        `queue` item by item. Per item its QueueOutcome, or the exception that refused it."""
        if self.queue is queue_with_email_core:
            try:
                return queue_mails(tx, items, now)
            except Exception:  # noqa: BLE001 - nothing was written: item by item, so only the broken ones fail
                pass
        return [_queue_one(self.queue, tx, request, key, now) for request, key in items]


def _queue_one(queue: Callable, tx, request: MailRequest, key: str, now: datetime):
    try:
        return queue(tx, request, key, now)
    except Exception as exc:  # noqa: BLE001 - one lead's broken mail must not stop the run
        return exc


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


@dataclass
class BatchFacts:
    """What the rules need about a batch of leads, read with one query each."""

    contacts: dict
    steps: dict
    suppressions: dict
    paused: set


def load_facts(tx, leads: list) -> BatchFacts:
    ids = [lead.id for lead in leads]
    since = min(clock_start(lead) for lead in leads)
    return BatchFacts(tx.followups.contacts_of(ids, since), tx.followups.steps_of(ids),
                      tx.followups.suppressions_of([lead.email for lead in leads if lead.email]),
                      tx.followups.paused_among(ids))


@dataclass
class PendingMail:
    """A rendered follow-up mail waiting for its batch to be queued."""

    lead: object
    record: object  # data.followup_models.FollowupStepRecord
    bt: object  # domain.followups.BusinessTime
    request: MailRequest
