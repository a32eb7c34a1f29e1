"""A snapshot that cannot be trusted never seeds a replica: a damaged file, a missing or garbled manifest,
counts that do not match, another schema or another event log are each skipped with a log line, and
the replica loads the next older snapshot or replays the log. Writers keep the newest two snapshots,
write nothing that is not newer, and take turns on PostgreSQL."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import time
from datetime import timedelta

import pytest

from data.db import make_engine, make_session_factory
from data.snapshot_folder import usable_snapshots
from data.migrate import upgrade
from data.snapshot_turns import SnapshotTurns
from data.uow import SqlAlchemyUnitOfWork
from pipelines.replica_snapshots import ReplicaSnapshots, SnapshotWriter
from tests.integration.snapshot_support import dump, log_activity, replica

LEADS = list(range(1, 60))


def event_log(path):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine, SqlAlchemyUnitOfWork(make_session_factory(engine))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("snapshot-damage")
    engine, uow = event_log(folder / "log.db")
    source, projection = replica(uow, folder / "source.duckdb", folder / "snapshots")
    taken = []
    for part in range(2):
        log_activity(uow, LEADS, random.Random(part), f"part{part}")
        projection.catch_up()
        taken.append(projection.snapshot_writer.write_now())
    replayed, replay = replica(uow, folder / "replayed.duckdb")
    replay.catch_up()
    yield {"uow": uow, "folder": folder, "older": taken[0], "newer": taken[1], "replayed": dump(replayed),
           "writer": projection.snapshot_writer}
    for warehouse in (source, replayed):
        warehouse.close()
    engine.dispose()


def edit_manifest(snapshot_folder, change) -> None:
    path = snapshot_folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def truncate(path) -> None:
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def flip_a_byte(path) -> None:
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


def vouched_garbage(snapshot_folder) -> None:
    """A broken file whose manifest was rewritten to match it: DuckDB refuses to read it, the load rolls back."""
    path = snapshot_folder / "events.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 40 + b"PAR1")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    edit_manifest(snapshot_folder, lambda m: m["tables"]["events"].update(size=path.stat().st_size, sha256=digest))


DAMAGE = {
    "a broken file its manifest vouches for": vouched_garbage,
    "truncated events file": lambda s: truncate(s / "events.parquet"),
    "a flipped byte": lambda s: flip_a_byte(s / "events.parquet"),
    "a missing file": lambda s: (s / "daily_counts.parquet").unlink(),
    "no manifest (a partial copy)": lambda s: (s / "manifest.json").unlink(),
    "a garbled manifest": lambda s: (s / "manifest.json").write_text('{"format": 1, "posi'),
    "a row count that does not match": lambda s: edit_manifest(s, lambda m: m["tables"]["events"].update(rows=1)),
    "another schema": lambda s: edit_manifest(s, lambda m: m.update(schema="0" * 16)),
    "another event log": lambda s: edit_manifest(s, lambda m: m["anchor"].update(recorded_at="2001-01-01T00:00:00+00:00")),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_newest_snapshot_is_skipped_for_the_older_one(world, tmp_path, caplog, damage):
    snapshots = tmp_path / "snapshots"
    shutil.copytree(world["folder"] / "snapshots", snapshots)
    DAMAGE[damage](snapshots / world["newer"].folder.name)
    seeded, projection = replica(world["uow"], tmp_path / "seeded.duckdb", snapshots)
    try:
        with caplog.at_level(logging.WARNING):
            assert projection.seed_from_snapshot() == world["older"].position < world["newer"].position
        assert any(world["newer"].folder.name in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)
        projection.catch_up()
        assert dump(seeded) == world["replayed"]
    finally:
        seeded.close()


def test_with_no_usable_snapshot_the_replica_replays_the_log(world, tmp_path, caplog):
    snapshots = tmp_path / "snapshots"
    shutil.copytree(world["folder"] / "snapshots", snapshots)
    for snapshot in (world["older"], world["newer"]):
        flip_a_byte(snapshots / snapshot.folder.name / "daily_counts.parquet")
    seeded, projection = replica(world["uow"], tmp_path / "seeded.duckdb", snapshots)
    try:
        with caplog.at_level(logging.WARNING):
            assert projection.seed_from_snapshot() is None
        assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == 2
        assert dump(seeded) == ([], [], 0)
        projection.catch_up()
        assert dump(seeded) == world["replayed"]
    finally:
        seeded.close()


def test_a_snapshot_of_another_database_is_not_loaded(world, tmp_path, caplog):
    engine, uow = event_log(tmp_path / "other.db")
    log_activity(uow, LEADS, random.Random(9), "other")  # as many seqs, other events
    seeded, projection = replica(uow, tmp_path / "seeded.duckdb", world["folder"] / "snapshots")
    try:
        with caplog.at_level(logging.WARNING):
            assert projection.seed_from_snapshot() is None
        assert any("another event log" in r.getMessage() for r in caplog.records)
    finally:
        seeded.close()
        engine.dispose()


def test_writers_keep_the_newest_two_and_write_only_what_is_newer(tmp_path):
    engine, uow = event_log(tmp_path / "log.db")
    folder = tmp_path / "snapshots"
    source, projection = replica(uow, tmp_path / "source.duckdb", folder)
    try:
        written = []
        for part in range(3):
            log_activity(uow, LEADS[:20], random.Random(part), f"part{part}")
            projection.catch_up()
            written.append(projection.snapshot_writer.write_now())
            assert projection.snapshot_writer.write_now() is None  # nothing logged since the newest snapshot
            if part == 1:
                abandoned, young = folder / ".partial-1-dead", folder / ".partial-2-busy"
                abandoned.mkdir(), young.mkdir()
                os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
        assert [s.position for s in usable_snapshots(folder)] == [written[2].position, written[1].position]
        assert not written[0].folder.exists() and not abandoned.exists() and young.exists()
    finally:
        source.close()
        engine.dispose()


def test_a_writer_waits_until_the_newest_snapshot_is_an_interval_old(world):
    newest = usable_snapshots(world["folder"] / "snapshots")[0]
    writer = SnapshotWriter(world["uow"], world["writer"].warehouse, ReplicaSnapshots(newest.folder.parent, 600),
                            clock=lambda: newest.written_at + timedelta(seconds=100))
    assert writer.write_if_due() == pytest.approx(500)
    assert usable_snapshots(newest.folder.parent)[0] == newest


@pytest.mark.postgres
def test_on_postgresql_one_process_at_a_time_takes_the_turn(pg_url):
    engine, other = make_engine(pg_url), make_engine(pg_url)
    try:
        with SnapshotTurns(engine).taken() as first:
            with SnapshotTurns(other).taken() as second:
                assert (first, second) == (True, False)
        with SnapshotTurns(other).taken() as after:
            assert after
    finally:
        engine.dispose()
        other.dispose()
