"""Top the event log up to BENCH_EVENTS (default 1,000,000) events, the size DESIGN section 8 measures at.

The demo history (demo/history.py) tells the seeded rows as registrations, samples, sends,
replies and conversions: about 4.7 events per lead. What a running installation also logs, and the
demo history leaves out, is written here with the same care for realism: one `followup.processed`
per 15-minute scheduler run over the last 90 days, and per lead with a delivered sample its
housekeeping after delivery (`followup.scheduled` for T+3 and T+7, `lead.status_changed`, and
replans when a due time moves to business hours), in rounds over all leads until the target is met.
Each type's data is checked against the catalog once.

Written fast, like the demo history: plain insert parameters, a few thousand rows per transaction,
and logged as delivered already (history: no consumer may act on it, the relay leaves it alone).
Then the analytics projection catches up before anything is measured.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import func, insert, select

from data.duckdb_replica import replica_position
from data.models import EventRecord, Lead
from domain.cloudevents import CloudEvent
from domain.events import EVENT_TYPES, idempotency_key
from demo.history import HISTORY_SOURCE
from services.outbox import check_data, content_hash, lead_subject

CHUNK = 5000
SLOWEST_CATCH_UP = 500  # events/s: a catch-up slower than this on a busy machine is taken as stuck
RUN_EVERY = timedelta(minutes=15)
HISTORY_DAYS = 90
# One lead's housekeeping after its sample arrived, in the order it happens; (type, data, days after delivery).
ROUNDS = [("followup.scheduled", {"step": "T3"}, 0.0), ("lead.status_changed", {"from": "REGISTERED", "to": "ACTIVE"}, 0.0),
          ("followup.scheduled", {"step": "T7", "reason": "T+3 sent"}, 3.0),
          ("lead.status_changed", {"from": "ACTIVE", "to": "REMINDER"}, 3.1)]
REPLAN = ("followup.scheduled", {"step": "T7", "reason": "replanned to business hours"}, 6.0)
TYPES = {e.name: e.type for e in EVENT_TYPES}  # "followup.scheduled" -> its versioned type


def event_count(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EventRecord)).scalar() or 0)


def last_seq(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(EventRecord.seq))).scalar() or 0)


class _Rows:
    """Event log rows as demo/history.py writes them (validated once per type)."""

    def __init__(self, now: datetime):
        self.now, self.checked = now, set()

    def row(self, name: str, lead_id: int | None, at: datetime, facts: tuple, data: dict) -> dict:
        type_ = TYPES[name]
        if type_ not in self.checked:
            check_data(type_, data)
            self.checked.add(type_)
        key = idempotency_key(type_, "bench", lead_id, *facts)
        subject = lead_subject(lead_id)
        event = CloudEvent(id=key, source=HISTORY_SOURCE, type=type_, time=at, data=data, subject=subject, idempotencykey=key)
        return {"id": key, "source": HISTORY_SOURCE, "type": type_, "subject": subject, "time": at, "idempotency_key": key,
                "datacontenttype": event.datacontenttype, "data": data, "extensions": None,
                "content_hash": content_hash(event), "recorded_at": self.now, "delivered_at": self.now}


def _runs(rows: _Rows, rng: random.Random, now: datetime) -> Iterator[dict]:
    at = now - timedelta(days=HISTORY_DAYS)
    while at < now:
        sent = rng.randint(0, 40)
        data = {"run_id": f"run-{at:%Y%m%dT%H%M}", "sent": sent, "skipped": rng.randint(0, 5), "failed": int(rng.random() < 0.02),
                "started_at": at.isoformat(), "finished_at": (at + timedelta(seconds=2 + sent / 10)).isoformat()}
        yield rows.row("followup.processed", None, at, (data["run_id"],), data)
        at += RUN_EVERY


def _housekeeping(rows: _Rows, rng: random.Random, leads: list, now: datetime) -> Iterator[dict]:
    for round_no in range(10_000):  # the rounds end when the caller has enough
        name, extra, days = ROUNDS[round_no] if round_no < len(ROUNDS) else REPLAN
        days += max(0, round_no - len(ROUNDS)) * 0.5  # each later replan a little later
        for lead_id, delivered in leads:
            at = min(delivered + timedelta(days=days, minutes=rng.randint(0, 240)), now)
            data = {"lead_id": lead_id, **extra}
            if name == "followup.scheduled":
                data["due_at"] = (delivered + timedelta(days=7 if extra["step"] == "T7" else 3, hours=rng.randint(0, 8))).isoformat()
            yield rows.row(name, lead_id, at, (round_no,), data)


def top_up(server, target: int, seed: int = 11) -> tuple[int, float]:
    """Write events until the log holds `target` (nothing when it holds more); (written, seconds)."""
    engine, now = server.extensions["cockpit"].engine, datetime.now(timezone.utc)
    missing = target - event_count(engine)
    if missing <= 0:
        return 0, 0.0
    with engine.connect() as conn:
        leads = [(i, at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at) for i, at in conn.execute(
            select(Lead.id, Lead.sample_delivered_at).where(Lead.sample_delivered_at.is_not(None)).order_by(Lead.id))]
    rng, rows = random.Random(seed), _Rows(now)
    source = _chain(_runs(rows, rng, now), _housekeeping(rows, rng, leads, now))
    start, written = time.perf_counter(), 0
    while written < missing:
        batch = [next(source) for _ in range(min(CHUNK, missing - written))]
        with engine.begin() as conn:
            conn.execute(insert(EventRecord.__table__), batch)
        written += len(batch)
    return written, time.perf_counter() - start


def _chain(*sources: Iterator[dict]) -> Iterator[dict]:
    for source in sources:
        yield from source


def catch_up(server) -> tuple[int, float]:
    """Let the app's projection apply every logged event; (events it applied meanwhile, seconds)."""
    deps, projection = server.extensions["cockpit"], server.extensions["analytics_projection"]
    target, first = last_seq(deps.engine), replica_position(deps.warehouse)
    limit_s = max(1800.0, (target - first) / SLOWEST_CATCH_UP)
    start = time.perf_counter()
    while replica_position(deps.warehouse) < target:
        if not projection.catch_up():  # 0: the background thread had the batch; look again shortly
            time.sleep(0.05)
        if time.perf_counter() - start > limit_s:
            raise RuntimeError(f"the analytics projection is stuck below seq {target}")
    return target - first, time.perf_counter() - start
