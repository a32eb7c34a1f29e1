"""The analytics projection: tails the OLTP event log into this process's DuckDB replica (DESIGN 2, 6).

It reads events after its stored position, enriches them with their lead's owner, team and business
type (one batched query per batch), and appends them with the refreshed daily aggregates and the new
position in one DuckDB transaction. A background thread runs it, woken after commits that wrote events
(this process's unit of work, and on PostgreSQL every process's commits via LISTEN/NOTIFY), with a poll
as the fallback; after each applied batch the broadcaster wakes the open cockpit streams.

Gaps in seq. PostgreSQL hands out seqs at insert but may commit a lower seq after a higher one (or roll
it back, leaving a hole forever). The position only moves past a missing seq once the first event after
the hole was recorded more than `gap_grace` ago: a transaction open that long is taken as rolled back.
Events beyond a young hole are applied at once (the screen stays live) and re-read until the hole is
settled; the fact table's seq key makes re-reading harmless. We do not wait for the relay's
delivered_at instead because that would add the relay's lag and tie analytics to its health.

A replica that starts empty (no file yet) is seeded from the newest snapshot of the deployment's
replicas and tails from there (pipelines/replica_snapshots.py), or, with none usable, is rebuilt from
the log. `python -m pipelines.analytics_projection --rebuild` drops the replica and replays the log.
"""
from __future__ import annotations

import argparse
import logging
import re
import threading
from datetime import datetime, timedelta, timezone

from config import load_settings
from data.db import make_engine, make_session_factory
from data.duckdb_feed import LeadFacts, LoggedEvent
from data.duckdb_replica import apply_batch, ensure_schema, naive_utc, open_replica, read_position, reset
from data.uow import SqlAlchemyUnitOfWork
from domain.events import LEAD_CREATED, PREFIX
from pipelines.broadcast import Broadcaster, Touched
from pipelines.replica_snapshots import ReplicaSnapshots, SnapshotWriter, seed_replica
from runtime.worker import Worker
from services.clock import Clock, utc_now

log = logging.getLogger(__name__)
VERSION_SUFFIX = re.compile(r"\.v\d+$")
NO_LEAD = LeadFacts(None, None, None, None)
MAX_LINGER_S = 0.05  # the most a wake-up waits: event-to-screen stays well under 100 ms of it
QUIET_S = 0.25  # idle this long before a wake-up: nothing to gather, apply at once


def short_type(type_: str) -> str:
    """'com.freshplan.followup.sent.v1' -> 'followup.sent'; foreign types stay as they came."""
    if not type_.startswith(PREFIX):
        return type_
    return VERSION_SUFFIX.sub("", type_[len(PREFIX):])


def lead_id_of(event: LoggedEvent) -> int | None:
    """data.lead_id, else the number the subject ends with ('lead/42' or '42')."""
    value = event.data.get("lead_id") if isinstance(event.data, dict) else None
    if value is None and event.subject:
        value = event.subject.rsplit("/", 1)[-1]
    try:
        number = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number < 2 ** 63 else None  # a BIGINT, or no lead


def fact_row(event: LoggedEvent, lead_id: int | None, lead: LeadFacts) -> tuple:
    """One row of the DuckDB `events` table (data/sql/schema.sql, FACT_COLUMNS order)."""
    data, kind = event.data if isinstance(event.data, dict) else {}, short_type(event.type)
    volume = data.get("volume", lead.estimated_volume) if kind == "customer.converted" else data.get("volume")
    return (event.seq, event.event_id, event.source, kind, naive_utc(event.time), lead_id, lead.owner_id,
            lead.team_id, lead.business_type, data.get("step"), _text(data.get("template_id", data.get("template"))),
            _number(data.get("template_version"), int, 2.0 ** 31), data.get("variant"), data.get("label"),
            _number(data.get("customer_id"), int), _number(data.get("revenue"), float, 1e300), _number(volume, float, 1e300))


def link_row(event: LoggedEvent, lead: LeadFacts) -> tuple | None:
    """A lead.created as a `links` row (data/duckdb_replica.py LINK_COLUMNS): the registration it names
    gets this lead's facts. None for one that names no registration."""
    data = event.data if isinstance(event.data, dict) else {}
    lead_id = lead_id_of(event)
    if lead_id is None or not data.get("registered_source") or not data.get("registered_id"):
        return None
    return clean_row((str(data["registered_source"]), str(data["registered_id"]), lead_id, lead.owner_id,
                      lead.team_id, lead.business_type))


def safe_fact_row(event: LoggedEvent, lead_id: int | None, lead: LeadFacts) -> tuple:
    """`fact_row`, or for an event whose data it cannot read, a row with what the envelope says (it
    still counts by type and time): one odd event never stops the projection."""
    try:
        return clean_row(fact_row(event, lead_id, lead))
    except Exception as exc:  # noqa: BLE001 - logged; the event is kept with its envelope
        log.warning("analytics: event %s (seq %d) projected without its data: %s", event.event_id, event.seq, exc)
        return clean_row((event.seq, event.event_id, event.source, short_type(event.type), naive_utc(event.time),
                          *[None] * 12))


def clean_row(row: tuple) -> tuple:
    """Text that cannot be stored as UTF-8 (a lone surrogate in an old event) is stored with a "?" there."""
    return tuple(v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) and not v.isascii() else v
                 for v in row)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _number(value, kind, bound: float = 2.0 ** 63):
    """The value as `kind` when it fits its DuckDB column (INTEGER: bound 2^31, BIGINT 2^63, DOUBLE
    finite); anything else is no value, so one odd field cannot make DuckDB refuse the whole batch."""
    try:
        number = None if value is None else kind(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is None or abs(number) < bound else None


def settled_position(position: int, events: list[LoggedEvent], older_than: datetime) -> int:
    """The highest seq with nothing missing below it, skipping holes whose next event is old enough."""
    for event in events:
        if event.seq != position + 1 and _aware(event.recorded_at) > older_than:
            break  # a young hole: an earlier transaction may still commit into it
        position = event.seq
    return position


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class AnalyticsProjection(Worker):
    def __init__(self, uow, warehouse, broadcaster: Broadcaster | None = None, clock: Clock = utc_now,
                 batch_size: int = 5000, gap_grace: timedelta = timedelta(seconds=5), poll_seconds: float = 1.0,
                 linger_seconds: float = 0.02, snapshots: ReplicaSnapshots | None = None):
        super().__init__("analytics-projection", poll_seconds=poll_seconds, linger_seconds=linger_seconds,
                         join_seconds=5.0)
        self.uow, self.warehouse, self.clock = uow, warehouse, clock
        self.broadcaster = broadcaster or Broadcaster()
        self.batch_size, self.gap_grace = batch_size, gap_grace
        self._apply_lock = threading.Lock()
        self.snapshots = snapshots
        self.snapshot_writer = SnapshotWriter(uow, warehouse, snapshots, clock) if snapshots else None
        cur = warehouse.cursor()
        try:
            ensure_schema(cur)
        finally:
            cur.close()

    def start(self):
        """Seed an empty replica from a snapshot (before serving: this process shows no numbers it would
        still have to replay), then tail the log and offer snapshots."""
        self.seed_from_snapshot()
        if self.snapshot_writer is not None and self.snapshots.interval_s:
            self.snapshot_writer.start()
        return super().start()

    def stop(self, timeout: float | None = None) -> None:
        if self.snapshot_writer is not None:
            self.snapshot_writer.stop(timeout)
        super().stop(timeout)

    def seed_from_snapshot(self) -> int | None:
        """An empty replica loads the newest usable snapshot; returns its position, None if none was loaded."""
        if self.snapshots is None:
            return None
        with self._apply_lock:
            snapshot = seed_replica(self.uow, self.warehouse, self.snapshots.folder, self.clock)
        return snapshot.position if snapshot else None

    def pass_once(self) -> bool:
        self.catch_up()
        return False  # catch_up reads until the log is exhausted

    def linger_after(self, took: float, waited: float) -> float:
        # The first event after a quiet spell goes to the screens at once. In a busy spell, waiting at
        # least as long as the last pass took gathers the burst into one batch and keeps the
        # projection to half a core under load, leaving the rest to requests.
        if waited >= QUIET_S:
            return 0.0
        return min(MAX_LINGER_S, max(self.linger_seconds, took))

    def closed(self) -> bool:
        return getattr(self.warehouse, "closed", False)

    def catch_up(self) -> int:
        """Apply every committed event after the stored position; returns how many rows were read."""
        total = 0
        with self._apply_lock:
            while not self.stopping:
                read, advanced = self._apply_next()
                total += read
                if read < self.batch_size or not advanced:
                    break
        return total

    def rebuild(self) -> int:
        with self._apply_lock:
            cur = self.warehouse.cursor()
            try:
                reset(cur)
            finally:
                cur.close()
        return self.catch_up()

    def _apply_next(self) -> tuple[int, bool]:
        cur = self.warehouse.cursor()
        try:
            position = read_position(cur)
            with self.uow(write=False) as tx:
                events = tx.event_feed.events_after(position, self.batch_size)
                lead_ids = {lead_id_of(e) for e in events} - {None}
                leads = tx.event_feed.lead_facts(lead_ids) if lead_ids else {}
            if not events:
                return 0, False
            facts = [e for e in events if e.type != LEAD_CREATED]  # a link to its lead, not a fact itself
            rows = [safe_fact_row(e, lid, leads.get(lid, NO_LEAD)) for e in facts for lid in [lead_id_of(e)]]
            links = [link for e in events if e.type == LEAD_CREATED
                     for link in [link_row(e, leads.get(lead_id_of(e), NO_LEAD))] if link is not None]
            now = self.clock()
            new_position = settled_position(position, events, now - self.gap_grace)
            apply_batch(cur, rows, new_position, now, links)
        finally:
            cur.close()
        touched = {(r[7], r[6]) for r in rows if r[5] is not None} | {(link[4], link[3]) for link in links}
        self.broadcaster.publish(Touched(frozenset(touched), events[-1].seq))
        return len(events), new_position > position


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tail the event log into the DuckDB analytics replica.")
    parser.add_argument("--rebuild", action="store_true", help="drop the replica and rebuild it from the log")
    parser.add_argument("--snapshot", action="store_true", help="then write a snapshot of it (ANALYTICS_SNAPSHOT_DIR)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    engine = make_engine(settings.database_url)
    warehouse = open_replica(settings.analytics_path, engine.dialect.name == "postgresql", settings.analytics_snapshot_dir)
    projection = AnalyticsProjection(SqlAlchemyUnitOfWork(make_session_factory(engine)), warehouse,
                                     snapshots=ReplicaSnapshots.from_settings(settings, engine))
    if not args.rebuild:
        projection.seed_from_snapshot()
    read = projection.rebuild() if args.rebuild else projection.catch_up()
    if args.snapshot:
        projection.snapshot_writer.write_now()
    print(f"{warehouse.path}: {read} events read", flush=True)
    warehouse.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
