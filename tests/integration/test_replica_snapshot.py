"""A new analytics replica seeded from another replica's snapshot, then tailing the log, holds exactly what
a replica that replayed the whole log holds, and the pages show the same numbers from it: with events
logged after the snapshot, and registrations logged before it but linked to their leads after it."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from data.models import Lead, User
from data.snapshot_folder import usable_snapshots
from tests.conftest import make_settings, shutdown, wait_for
from tests.integration.snapshot_support import (dump, link_registrations, log_activity, log_foreign_registrations,
                                                page_numbers, replica)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app

    folder = tmp_path_factory.mktemp("replica-snapshot")
    app = create_app(make_settings(folder, demo_leads=80, relay_enabled=False))
    deps = app.extensions["cockpit"]
    with deps.uow.session_factory() as s:
        leads = list(s.scalars(select(Lead.id).order_by(Lead.id)))
        users = {u.username: u for u in s.scalars(select(User))}
    snapshots = folder / "snapshots"
    log_activity(deps.uow, leads[:40], random.Random(1), "before")
    log_foreign_registrations(deps.uow, ["crm-1", "crm-2", "crm-3"])
    link_registrations(deps.uow, {"crm-1": leads[0]})  # linked before the snapshot
    source, source_projection = replica(deps.uow, folder / "source.duckdb", snapshots)
    source_projection.catch_up()
    taken = source_projection.snapshot_writer.write_now()
    # After the snapshot: new activity, a registration linked now that was projected unlinked into the
    # snapshot, and a new registration linked in the same batch it arrives in.
    log_activity(deps.uow, leads[30:], random.Random(2), "after")
    log_foreign_registrations(deps.uow, ["crm-4"])
    link_registrations(deps.uow, {"crm-2": leads[1], "crm-4": leads[2]})
    yield {"deps": deps, "users": users, "folder": folder, "snapshots": snapshots, "taken": taken,
           "source": (source, source_projection)}
    source.close()
    shutdown(app)


@pytest.fixture(scope="module")
def replayed(world):
    warehouse, projection = replica(world["deps"].uow, world["folder"] / "replayed.duckdb")
    projection.catch_up()
    yield warehouse
    warehouse.close()


def test_the_snapshot_holds_the_source_replica_at_its_position(world):
    taken, (source, _projection) = world["taken"], world["source"]
    assert taken is not None and usable_snapshots(world["snapshots"]) == [taken]
    facts, days, position = dump(source)  # the source has not read the later events yet
    assert taken.position == position > 0
    assert (taken.files["events"].rows, taken.files["daily_counts"].rows) == (len(facts), len(days))


def test_a_seeded_replica_tailed_to_the_head_equals_a_replayed_one(world, replayed):
    deps, taken = world["deps"], world["taken"]
    seeded, projection = replica(deps.uow, world["folder"] / "seeded.duckdb", world["snapshots"])
    try:
        assert projection.seed_from_snapshot() == taken.position
        assert dump(seeded)[2] == taken.position and len(dump(seeded)[0]) == taken.files["events"].rows
        read = projection.catch_up()
        assert 0 < read < dump(replayed)[2] - taken.position + 5  # the tail only, not the whole log
        assert dump(seeded) == dump(replayed)
        shown = page_numbers(deps, seeded, world["users"])
        assert shown == page_numbers(deps, replayed, world["users"])
        month = shown["analyst", "cockpit"][2].metrics
        assert month["replies"].value > 0 and month["conversions"].value > 0 and month["t3_sent"].value > 0
    finally:
        seeded.close()


def test_registrations_linked_after_the_snapshot_count_with_their_leads(world, replayed):
    deps, taken = world["deps"], world["taken"]
    seeded, projection = replica(deps.uow, world["folder"] / "linked.duckdb", world["snapshots"])
    try:
        projection.seed_from_snapshot()
        query = "SELECT event_id, seq, lead_id FROM events WHERE source = '/crm/snapshot-test' ORDER BY event_id"
        before = seeded.cursor().execute(query).fetchall()
        assert [(r[0], r[2] is not None) for r in before] == [("crm-1", True), ("crm-2", False), ("crm-3", False)]
        assert all(seq <= taken.position for _id, seq, _lead in before)
        projection.catch_up()
        after = {r[0]: r[2] for r in seeded.cursor().execute(query).fetchall()}
        assert after == {r[0]: r[2] for r in replayed.cursor().execute(query).fetchall()}
        assert after["crm-2"] is not None and after["crm-4"] is not None and after["crm-3"] is None
    finally:
        seeded.close()


def test_the_source_replica_caught_up_equals_the_replayed_one_too(world, replayed):
    source, projection = world["source"]
    projection.catch_up()
    assert dump(source) == dump(replayed)


def test_start_seeds_before_it_returns_and_a_replica_with_rows_is_never_seeded(world):
    deps, taken = world["deps"], world["taken"]
    seeded, projection = replica(deps.uow, world["folder"] / "started.duckdb", world["snapshots"])
    try:
        projection.start()
        try:
            assert dump(seeded)[2] >= taken.position  # seeded in start(), before the thread's first pass
        finally:
            projection.stop()
        assert projection.seed_from_snapshot() is None
    finally:
        seeded.close()


@pytest.mark.postgres
def test_a_new_process_on_postgresql_serves_from_the_snapshot_of_another(pg_url, tmp_path):
    from app import create_app

    settings = make_settings(tmp_path, database_url=pg_url, demo_leads=30, demo_simulator=False)
    first = create_app(settings)
    try:
        deps, projection = first.extensions["cockpit"], first.extensions["analytics_projection"]
        assert wait_for(lambda: projection.catch_up() == 0 and dump(deps.warehouse)[2] > 0)
        assert projection.snapshot_writer.running  # ANALYTICS_SNAPSHOT_INTERVAL_S: every 600 s
        taken = projection.snapshot_writer.write_now()
        assert taken.folder.parent == settings.analytics_snapshot_dir.resolve()
        second = create_app(settings)
        try:
            replica_of_second = second.extensions["cockpit"].warehouse
            assert replica_of_second.path != deps.warehouse.path  # a slot of its own
            assert dump(replica_of_second)[2] >= taken.position  # seeded before create_app returned
            assert wait_for(lambda: dump(replica_of_second) == dump(deps.warehouse))
        finally:
            shutdown(second)
    finally:
        shutdown(first)
    assert not projection.snapshot_writer.running
