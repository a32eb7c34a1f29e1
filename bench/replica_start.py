"""A new analytics replica at scale: from no DuckDB file to a replica at the head of the event log, seeded
from a snapshot and tailed (pipelines/replica_snapshots.py), against a full replay of the log. The
target: serving within 60 s at 10,000,000 events.

`python -m bench.replica_start` (BENCH_EVENTS, default 1,000,000; BENCH_LEADS, default 100,000) takes the
log and replica of bench/replica_log.py (built once, kept in var/bench/), then:
1. that replica writes a snapshot (timed, and its size on disk);
2. BENCH_TAIL_EVENTS (default 20,000) events are logged after it: what arrives between two snapshots;
3. a new replica loads the snapshot and tails the log to its head (each timed); the first replica tails
   too, and both must hold the same rows (checksums over every column of both tables), or the bench stops;
4. another new replica replays the log from seq 0 for at most BENCH_REPLAY_BUDGET_S seconds (default
   900). A finished replay is measured and must equal the seeded replica; a replay cut short gives its
   rate and an estimate for the whole log (a lower bound: a replay slows as the days fill up).
`replica_start_rows` returns results.json value rows; `python -m bench` adds them for its own log.
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.client import BenchError
from bench.events_topup import event_count
from bench.replica_log import cached_log, log_tail
from bench.stats import value_row
from data.db import make_engine, make_session_factory
from data.duckdb_replica import read_position, replica_position
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from pipelines.analytics_projection import AnalyticsProjection
from pipelines.replica_snapshots import ReplicaSnapshots

ROOT = Path(__file__).resolve().parent.parent
TAIL_EVENTS, REPLAY_BUDGET_S = 20_000, 900
# Every column of both tables (data/sql/schema.sql), hashed row by row and summed: equal sums, equal rows.
CHECKSUMS = ("SELECT count(*), sum(hash(seq, event_id, source, type, time, day, lead_id, user_id, team_id, business_type, "
             "step, template_id, template_version, variant, label, customer_id, revenue, volume)) FROM events",
             "SELECT count(*), sum(hash(day, type, user_id, team_id, business_type, step, template_id, template_version, "
             "variant, label, n, leads, revenue, volume)) FROM daily_counts")


def replica_start_rows(source: AnalyticsProjection, engine, run: Path, say, tail: int = TAIL_EVENTS,
                       replay_budget_s: float = REPLAY_BUDGET_S) -> list[dict]:
    """Measure a new replica against `source`, a projection at the head of the log of `engine` that
    writes snapshots; `run`: a folder for the new replicas. Returns value rows."""
    run.mkdir(parents=True, exist_ok=True)
    log_tail(engine, 10, f"{run.name}-first")  # past any snapshot a running app wrote already
    source.catch_up()
    start = time.perf_counter()
    snapshot = source.snapshot_writer.write_now()
    write_s = time.perf_counter() - start
    if snapshot is None:
        raise BenchError("the replica wrote no snapshot: is it behind the newest one?")
    head = log_tail(engine, tail, run.name)
    events = event_count(engine)
    say(f"  snapshot of {snapshot.files['events'].rows:,} rows written in {write_s:.1f} s; {tail:,} events logged after it")
    seeded, load_s, tail_s = _seeded(source, run, head)
    say(f"  new replica: snapshot loaded in {load_s:.1f} s, tailed to seq {head:,} in {tail_s:.1f} s")
    try:
        _same(seeded, source, "the seeded replica and the replica that kept tailing")
        replay = _replay(source.uow, run, head, seeded, replay_budget_s, say)
    finally:
        seeded.warehouse.close()
    label = f"new analytics replica at {events:,} events"
    size_mib = sum(f.size for f in snapshot.files.values()) / 2 ** 20
    return [value_row(f"{label}: snapshot written by a running replica", write_s, "s"),
            value_row(f"{label}: snapshot size on disk (Parquet, zstd)", size_mib, "MiB"),
            value_row(f"{label}: snapshot checked and loaded", load_s, "s"),
            value_row(f"{label}: tail of {tail:,} events after the snapshot", tail_s, "s"),
            value_row(f"{label}: serving, at the head of the log (target 60 s at 10M)", load_s + tail_s, "s"),
            value_row(f"{label}: {replay[0]}", replay[1], "s"),
            value_row(f"{label}: full replay against snapshot and tail", replay[1] / (load_s + tail_s), "times")]


def _seeded(source: AnalyticsProjection, run: Path, head: int) -> tuple[AnalyticsProjection, float, float]:
    """A replica from no file: loaded from the newest snapshot, then tailed to `head`; (it, load s, tail s)."""
    start = time.perf_counter()
    warehouse = DuckDbWarehouse(run / "seeded.duckdb", source.snapshots.folder)
    projection = AnalyticsProjection(source.uow, warehouse, snapshots=ReplicaSnapshots(source.snapshots.folder, 0))
    if projection.seed_from_snapshot() is None:
        raise BenchError("the new replica did not load the snapshot (see the log for why)")
    loaded = time.perf_counter()
    projection.catch_up()
    if replica_position(warehouse) < head:
        raise BenchError(f"the new replica stopped at seq {replica_position(warehouse):,}, below the head {head:,}")
    return projection, loaded - start, time.perf_counter() - loaded


def _replay(uow, run: Path, head: int, seeded: AnalyticsProjection, budget_s: float, say) -> tuple[str, float]:
    """A replica replaying the log from seq 0 for at most `budget_s`; (row name, seconds measured or estimated)."""
    warehouse = DuckDbWarehouse(run / "replayed.duckdb")
    projection = AnalyticsProjection(uow, warehouse)
    timer = threading.Timer(budget_s, projection.stop)  # stops the replay after the batch in progress
    start = time.perf_counter()
    timer.start()
    try:
        projection.catch_up()
        took, position = time.perf_counter() - start, replica_position(warehouse)
        if position >= head:
            _same(projection, seeded, "the replayed replica and the seeded one")
    finally:
        timer.cancel()
        warehouse.close()
    if position >= head:
        say(f"  full replay: {took:.1f} s")
        return "full replay from seq 0", took
    estimate = took * head / max(position, 1)
    say(f"  replay stopped after {took:.0f} s at seq {position:,}: the whole log would take at least {estimate:.0f} s")
    return f"full replay from seq 0 (estimated from {position:,} events in {took:.0f} s, at least)", estimate


def _same(one: AnalyticsProjection, other: AnalyticsProjection, what: str, tries: int = 20) -> None:
    """Both caught up, every row alike; a few tries, since a running app may log events in between."""
    for _ in range(tries):
        one.catch_up()
        other.catch_up()
        sums = [_checksums(p.warehouse) for p in (one, other)]
        if sums[0] == sums[1]:
            return
        time.sleep(0.25)
    raise BenchError(f"{what} differ: {sums[0]} against {sums[1]}")


def _checksums(warehouse: DuckDbWarehouse) -> tuple:
    cur = warehouse.cursor()
    try:
        return tuple(cur.execute(sql).fetchone() for sql in CHECKSUMS) + (read_position(cur),)
    finally:
        cur.close()


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if raw and not raw.isdigit():
        raise SystemExit(f"{name}={raw!r} is not a whole number")
    return int(raw) if raw else default


def main() -> int:
    events, leads = _env_int("BENCH_EVENTS", 1_000_000), _env_int("BENCH_LEADS", 100_000)
    tail, budget = _env_int("BENCH_TAIL_EVENTS", TAIL_EVENTS), _env_int("BENCH_REPLAY_BUDGET_S", REPLAY_BUDGET_S)
    say = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731 - the bench's progress lines
    cache = cached_log(ROOT / "var" / "bench", events, leads, say)
    engine = make_engine(f"sqlite:///{cache / 'cockpit.db'}")
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    with tempfile.TemporaryDirectory(prefix="replica-start-") as run:
        snapshots = Path(run) / "snapshots"
        source = DuckDbWarehouse(cache / "analytics.duckdb", snapshots)
        try:
            rows = replica_start_rows(AnalyticsProjection(uow, source, snapshots=ReplicaSnapshots(snapshots, 0)),
                                      engine, Path(run), say, tail, budget)
        except BenchError as exc:
            say(f"bench FAILED: {exc}")
            return 1
        finally:
            source.close()
            engine.dispose()
    print("| Figure | Value | Unit |\n|---|---:|---|")
    for row in rows:
        print(f"| {row['name']} | {row['value']:,} | {row['unit']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
