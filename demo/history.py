"""The demo's past as events: after a first demo seed, every seeded lead's history goes into the
event log as the producers would have written it, at its historical times, so the analytics
projection, the cockpit feed and the analytics pages show the demo's 90 days from the start.

The seeded rows (leads, activities, customers) are the truth; this only tells it as events:
lead.registered, lead.sample_delivered, followup.sent and email.sent per FOLLOW_UP activity,
followup.replied per REPLY, customer.converted per CONVERSION. They carry the source
`/followup-cockpit/demo` (HISTORY_SOURCE) and are logged as delivered already: they are history,
and no consumer may act on them again (app.py has the conversion consumer refuse this source too).

Fast on purpose (a first start waits for it): plain column reads per batch of leads, each type's
data checked against the catalog once (all of one type come from the same code here), and one
insert per batch of a few thousand events, each batch its own transaction.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import datetime, timedelta

from domain.cloudevents import CloudEvent
from domain.events import (CUSTOMER_CONVERTED, EMAIL_CLICKED, EMAIL_OPENED, EMAIL_SENT, FOLLOWUP_REPLIED, FOLLOWUP_SENT,
                           LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED, idempotency_key)
from domain.model import ActivityType
from services.outbox import SOURCE_PREFIX, check_data, lead_subject, to_row

PRODUCER = "demo"
HISTORY_SOURCE = SOURCE_PREFIX + PRODUCER
LEADS_PER_BATCH = 1000  # about 5,000 events: one insert and one transaction each
MAIL_PROVIDER = "demo"  # the history's mails went through no provider of this installation
PRODUCES = {PRODUCER: (LEAD_REGISTERED, LEAD_SAMPLE_DELIVERED, FOLLOWUP_SENT, EMAIL_SENT, EMAIL_OPENED, EMAIL_CLICKED,
                       FOLLOWUP_REPLIED, CUSTOMER_CONVERTED)}  # the catalog reads it (app.py adds this module)
HISTORY_ACTIVITIES = (ActivityType.FOLLOW_UP.value, ActivityType.REPLY.value, ActivityType.CONVERSION.value)
log = logging.getLogger(__name__)


def publish_demo_history(uow, now: datetime, leads_per_batch: int = LEADS_PER_BATCH) -> int:
    """Log the history of every lead in the database (call it right after a first demo seed);
    returns how many events were written."""
    return HistoryPublisher(uow, now, leads_per_batch=leads_per_batch).run().written or 0


class HistoryPublisher:
    """publish_demo_history in the caller's thread (`run`) or a thread of its own (`start`): a first start
    of a large demo serves at once, and its analytics fill in as the projection applies the history,
    as they fill in while the projection catches up anyway. `after` runs once the history is logged."""

    def __init__(self, uow, now: datetime, after=lambda: None, leads_per_batch: int = LEADS_PER_BATCH):
        with uow(write=False) as tx:  # the leads there are now: those created later have their own events
            self.lead_ids = tx.lead_history.lead_ids()
            self.writer = _HistoryWriter(tx.lead_history.usernames(), now)
        self.uow, self.after, self.per_batch = uow, after, leads_per_batch
        self.written: int | None = None
        self._thread = threading.Thread(target=self._run_logged, name="demo-history", daemon=True)

    def run(self) -> "HistoryPublisher":
        started = time.perf_counter()
        self.written = self._publish()
        self.after()
        log.info("demo history logged: %d events in %.1f s", self.written, time.perf_counter() - started)
        return self

    def start(self) -> "HistoryPublisher":
        self._thread.start()
        return self

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception:  # the demo's past stays out of the analytics; the app itself is whole
            log.exception("the demo history could not be logged: the analytics pages miss the demo's past")

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the history is logged (or failed), waiting up to `timeout` seconds for it."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        """Waits for the history to be logged: stopped halfway, the demo's past would stay half logged."""
        if self._thread.is_alive():
            log.info("waiting for the demo history to be logged before stopping")
        self.wait()

    def _publish(self) -> int:
        written, ids = 0, self.lead_ids
        for i in range(0, len(ids), self.per_batch):
            with self.uow() as tx:
                rows = self.writer.rows(tx.lead_history, ids[i], ids[min(i + self.per_batch, len(ids)) - 1])
                tx.events.add_history(rows)
                tx.commit()
            written += len(rows)
        return written


class _HistoryWriter:
    """Turns the seeded rows of a range of leads into rows of the event log (validated once per type)."""

    def __init__(self, owners: dict[int, str], now: datetime):
        self.owners, self.now = owners, now
        self.checked: set[str] = set()

    def rows(self, history, first_id: int, last_id: int) -> list[dict]:
        """`history` is the unit of work's `lead_history` (data/lead_history.py)."""
        acts = history.activities(first_id, last_id, HISTORY_ACTIVITIES)
        customers = history.customer_ids(first_id, last_id)
        out: list[dict] = []
        for lead in history.leads(first_id, last_id):
            out += self._lead_history(lead, acts.get(lead.id, []), customers.get(lead.id))
        return out

    def _lead_history(self, lead, acts: list, customer_id: int | None) -> list[dict]:
        emit = _Emitter(self, lead.id)
        emit(LEAD_REGISTERED, lead.registered_at, (), company=lead.company, business_type=lead.business_type,
             registered_at=lead.registered_at.isoformat(), city=lead.city, owner=self.owners.get(lead.owner_id))
        if lead.sample_delivered_at is not None:
            emit(LEAD_SAMPLE_DELIVERED, lead.sample_delivered_at, (lead.sample_delivered_at.isoformat(),),
                 delivered_at=lead.sample_delivered_at.isoformat())
        for a in acts:
            d, at = a.details or {}, a.occurred_at.isoformat()
            if a.type == ActivityType.FOLLOW_UP.value:
                self._sent(emit, a, d)
            elif a.type == ActivityType.REPLY.value:
                emit(FOLLOWUP_REPLIED, a.occurred_at, (a.id,), step=d.get("step"), label=a.outcome, replied_at=at)
            elif customer_id is not None:  # a CONVERSION of a lead that is a customer now
                emit(CUSTOMER_CONVERTED, a.occurred_at, (customer_id,), customer_id=customer_id, converted_at=at,
                     rule=d.get("rule") or d.get("reason"), by="automation")
        return emit.rows

    @staticmethod
    def _sent(emit, a, d: dict) -> None:
        at, message_id = a.occurred_at.isoformat(), d.get("key") or f"demo:activity:{a.id}"
        template = {k: d[k] for k in ("template", "template_id", "template_version", "variant") if d.get(k) is not None}
        emit(FOLLOWUP_SENT, a.occurred_at, (a.id,), step=d["step"], sent_at=at, message_id=message_id, **template)
        emit(EMAIL_SENT, a.occurred_at, (message_id,), step=d["step"], sent_at=at, message_id=message_id,
             provider=MAIL_PROVIDER, **template)
        # Opens and clicks as readers make them: about 45% open, a quarter of those click (the same
        # every time: decided by the activity's id).
        chance = int(hashlib.sha256(f"open:{a.id}".encode()).hexdigest()[:8], 16) / 2**32
        if chance < 0.45 and a.occurred_at + timedelta(minutes=20 + int(chance * 600)) < emit.writer.now:
            opened = a.occurred_at + timedelta(minutes=20 + int(chance * 600))
            emit(EMAIL_OPENED, opened, (message_id, "open"), step=d["step"], message_id=message_id,
                 opened_at=opened.isoformat(), **template)
            if chance < 0.11:
                clicked = opened + timedelta(minutes=2)
                emit(EMAIL_CLICKED, clicked, (message_id, "click"), step=d["step"], message_id=message_id,
                     clicked_at=clicked.isoformat(), link=0, **template)

    def check_once(self, type_: str, data: dict) -> None:
        if type_ not in self.checked:
            check_data(type_, data)
            self.checked.add(type_)


class _Emitter:
    """Collects one lead's events: the subject, lead_id and the key facts every one shares."""

    def __init__(self, writer: _HistoryWriter, lead_id: int):
        self.writer, self.lead_id, self.subject = writer, lead_id, lead_subject(lead_id)
        self.rows: list[dict] = []

    def __call__(self, type_: str, at: datetime, facts: tuple, **fields) -> None:
        data = {"lead_id": self.lead_id, **{k: v for k, v in fields.items() if v is not None}}
        self.writer.check_once(type_, data)
        key = idempotency_key(type_, self.lead_id, *facts)
        event = CloudEvent(id=key, source=HISTORY_SOURCE, type=type_, time=at, data=data, subject=self.subject,
                           idempotencykey=key)
        # Plain insert parameters (ORM objects cost 3x as much here), delivered at once: history, nothing
        # for the relay to deliver (module docstring).
        self.rows.append({**to_row(event, self.writer.now), "delivered_at": self.writer.now})
