"""The analytics projection: restart and rebuild give identical aggregates, and the cockpit numbers agree
across roles and with the OLTP event log itself."""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from data.duckdb_replica import read_position
from data.migrate import upgrade
from data.models import EventRecord, Lead, User
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from domain.roles import Actor, Role, Scope
from pipelines.analytics_projection import AnalyticsProjection
from services.cockpit_live import Window, cockpit_numbers
from services.outbox import lead_subject, publish
from tests.conftest import make_settings, shutdown, wait_for

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
T = "com.freshplan.{}.v1"
COUNTED = ("t3_sent", "t7_sent", "replies", "positive", "conversions")


def seed_events(uow, leads: list[int], rng: random.Random) -> int:
    """Follow-ups, replies and conversions over the last 40 days, as the services would log them."""
    count = 0
    with uow() as tx:
        for lead_id in leads:
            for step in ("T3", "T7")[: rng.randint(0, 2)]:
                at = NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 5))
                publish(tx, T.format("followup.sent"), producer="followups", subject=lead_subject(lead_id),
                        data={"lead_id": lead_id, "step": step, "sent_at": at.isoformat(), "template": "FOLLOW_UP",
                              "variant": rng.choice("AB")}, facts=(lead_id, step), time=at)
                count += 1
            if rng.random() < 0.4:
                at = NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 5))
                label = rng.choice(["POSITIVE", "NEUTRAL", "NEGATIVE"])
                publish(tx, T.format("followup.replied"), producer="mail", subject=lead_subject(lead_id),
                        data={"lead_id": lead_id, "replied_at": at.isoformat(), "label": label}, facts=(lead_id, "r"), time=at)
                count += 1
                if label == "POSITIVE" and rng.random() < 0.6:
                    publish(tx, T.format("customer.converted"), producer="conversion", subject=lead_subject(lead_id),
                            data={"lead_id": lead_id, "customer_id": lead_id, "converted_at": at.isoformat()},
                            facts=(lead_id, "c"), time=at)
                    count += 1
        tx.commit()
    return count


def plan_due_steps(uow, leads: list[int], rng: random.Random) -> None:
    """Every third lead waits for a step that fell due in the last 20 days (the backlog the cockpit shows)."""
    with uow() as tx:
        for lead_id in leads[::3]:
            lead = tx.leads.get(lead_id, Scope())
            lead.last_followup_step = rng.choice([None, "T3"])
            lead.next_followup_at = NOW - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 5))
        tx.commit()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from app import create_app

    folder = tmp_path_factory.mktemp("projection")
    app = create_app(make_settings(folder, demo_leads=120, relay_enabled=False))
    deps = app.extensions["cockpit"]
    with deps.uow.session_factory() as s:
        leads = list(s.scalars(select(Lead.id).order_by(Lead.id)))
        users = {u.username: u for u in s.scalars(select(User))}
    seeded = seed_events(deps.uow, leads, random.Random(7))
    plan_due_steps(deps.uow, leads, random.Random(8))
    warehouse = DuckDbWarehouse(folder / "replica.duckdb")
    AnalyticsProjection(deps.uow, warehouse, clock=lambda: NOW, batch_size=50).catch_up()
    live = replace(deps, warehouse=warehouse, clock=lambda: NOW)
    yield {"deps": live, "users": users, "seeded": seeded, "folder": folder}
    warehouse.close()
    shutdown(app)


def actor(user: User) -> Actor:
    return Actor(user.id, user.username, Role(user.role), user.team_id)


def snapshot(warehouse) -> tuple[list, list, int]:
    cur = warehouse.cursor()
    try:
        facts = cur.execute("SELECT * FROM events ORDER BY seq").fetchall()
        days = cur.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
        return facts, days, read_position(cur)
    finally:
        cur.close()


def test_restart_mid_stream_and_rebuild_from_scratch_give_identical_aggregates(world):
    deps, folder = world["deps"], world["folder"]
    expected = snapshot(deps.warehouse)
    with deps.uow.session_factory() as s:
        logged = s.scalar(select(func.count()).select_from(EventRecord))
    assert len(expected[0]) == logged >= world["seeded"] > 100

    interrupted = DuckDbWarehouse(folder / "restarted.duckdb")
    first = AnalyticsProjection(deps.uow, interrupted, clock=lambda: NOW, batch_size=40)
    for _ in range(3):
        first._apply_next()  # three batches, then the process "dies"
    partial, _days, position = snapshot(interrupted)
    assert len(partial) == 120 and position == partial[-1][0]
    interrupted.close()
    reopened = DuckDbWarehouse(folder / "restarted.duckdb")
    AnalyticsProjection(deps.uow, reopened, clock=lambda: NOW, batch_size=64).catch_up()
    assert snapshot(reopened) == expected

    cur = reopened.cursor()  # replaying already applied events (position moved back) counts nothing twice
    cur.execute("UPDATE projection_position SET seq = 10")
    cur.close()
    AnalyticsProjection(deps.uow, reopened, clock=lambda: NOW).catch_up()
    assert snapshot(reopened) == expected

    rebuilt = AnalyticsProjection(deps.uow, reopened, clock=lambda: NOW, batch_size=1000)
    rebuilt.rebuild()
    assert snapshot(reopened) == expected
    reopened.close()


def test_a_missing_replica_file_is_rebuilt_on_start(world):
    deps, folder = world["deps"], world["folder"]
    fresh = DuckDbWarehouse(folder / "missing.duckdb")
    projection = AnalyticsProjection(deps.uow, fresh, clock=lambda: NOW, poll_seconds=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while snapshot(fresh)[2] < snapshot(deps.warehouse)[2] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert snapshot(fresh) == snapshot(deps.warehouse)
    finally:
        projection.stop()
        fresh.close()


def rollups(warehouse) -> list:
    cur = warehouse.cursor()
    try:
        return cur.execute("SELECT * FROM lead_rollup ORDER BY lead_id").fetchall()
    finally:
        cur.close()


def test_the_background_projection_refreshes_the_rollups_soon_after_the_facts_without_another_event(world):
    """The rollups (funnel, ROI) follow the facts by `rollup_delay_s`, not by the next event or poll."""
    deps, folder = world["deps"], world["folder"]
    fresh = DuckDbWarehouse(folder / "deferred.duckdb")
    projection = AnalyticsProjection(deps.uow, fresh, clock=lambda: NOW, poll_seconds=30, rollup_delay_s=0.3)
    projection.start()
    try:
        assert wait_for(lambda: snapshot(fresh)[2] == snapshot(deps.warehouse)[2], timeout=10)
        assert wait_for(lambda: rollups(fresh) == rollups(deps.warehouse), timeout=5), \
            "the rollups waited for the next poll"
        assert rollups(fresh), "the world has leads with events"
    finally:
        projection.stop()
        fresh.close()


def test_a_managers_numbers_are_the_sum_of_the_members_numbers(world):
    deps, manager = world["deps"], actor(world["users"]["manager"])
    team = cockpit_numbers(deps, manager, "30d")
    assert team.members and team.title.startswith("Team")
    for key in COUNTED:
        assert team.metrics[key].value == sum(m[key] for m in team.members), key
        drilled = [cockpit_numbers(deps, manager, "30d", member_id=m["user_id"]).metrics[key].value for m in team.members]
        assert team.metrics[key].value == sum(drilled), key
    assert sum(team.metrics["replies"].series[-30:]) == team.metrics["replies"].value
    for key in ("t3_due", "t7_due"):  # the backlog: now, 30 days ago, and at each day's end
        due = team.metrics[key]
        drilled = [cockpit_numbers(deps, manager, "30d", member_id=m["user_id"]).metrics[key] for m in team.members]
        assert (due.value, due.previous) == (sum(d.value for d in drilled), sum(d.previous for d in drilled)), key
        assert due.series[-1] == due.value and len(due.series) == 30, key
    t3 = team.metrics["t3_due"]  # nothing was handled: the backlog grows from none 30 days ago
    assert t3.value > t3.previous == 0 and t3.series == sorted(t3.series)
    week = cockpit_numbers(deps, manager, "7d").metrics["t3_due"]
    assert week.value == t3.value and week.previous == t3.series[-8] > 0  # the end of the day before the 7 days


def oltp_totals(deps, first, last) -> Counter:
    """Straight from the OLTP event log: follow-ups sent by step, replies, positive replies, conversions."""
    totals: Counter = Counter()
    with deps.uow.session_factory() as s:
        for type_, data, time in s.execute(select(EventRecord.type, EventRecord.data, EventRecord.time)):
            if not first <= time.astimezone(timezone.utc).date() <= last:
                continue
            if type_ == T.format("followup.sent"):
                totals[f"{data['step'].lower()}_sent"] += 1
            elif type_ == T.format("followup.replied"):
                totals["replies"] += 1
                totals["positive"] += data.get("label") == "POSITIVE"
            elif type_ == T.format("customer.converted"):
                totals["conversions"] += 1
    return totals


@pytest.mark.parametrize("period", ["today", "7d", "30d"])
def test_an_analysts_numbers_equal_the_totals_of_the_oltp_log(world, period):
    deps = world["deps"]
    numbers = cockpit_numbers(deps, actor(world["users"]["analyst"]), period)
    window = Window.of(period, NOW.date())
    current, previous = oltp_totals(deps, window.first, window.last), oltp_totals(deps, window.previous_first, window.previous_last)
    assert numbers.title == "All teams" and numbers.members == []
    for key in COUNTED:
        assert (numbers.metrics[key].value, numbers.metrics[key].previous) == (current[key], previous[key]), key
    assert sum(current.values()) > 0 or period == "today"


def test_a_sales_user_sees_only_own_leads(world):
    deps, users = world["deps"], world["users"]
    own = cockpit_numbers(deps, actor(users["sales"]), "30d", team_id=users["manager2"].team_id,
                          member_id=users["sales2"].id)
    assert own.member_id == users["sales"].id and own.members == []
    assert all(row["user_id"] == users["sales"].id for row in own.recent)


@pytest.mark.postgres
def test_a_lower_seq_committed_after_a_higher_one_is_not_skipped(pg_url, tmp_path):
    engine = make_engine(pg_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    warehouse = DuckDbWarehouse(tmp_path / "pg.duckdb")
    projection = AnalyticsProjection(uow, warehouse, gap_grace=timedelta(seconds=30))
    now = datetime.now(timezone.utc)

    def sent(tx, lead_id):
        publish(tx, T.format("followup.sent"), producer="followups", subject=lead_subject(lead_id),
                data={"lead_id": lead_id, "step": "T3", "sent_at": now.isoformat()}, facts=(lead_id,), time=now)

    try:
        with uow() as slow:
            sent(slow, 1)  # takes the lower seq, commits last
            with uow() as fast:
                sent(fast, 2)
                fast.commit()
            projection.catch_up()
            facts, _days, position = snapshot(warehouse)
            assert [row[6] for row in facts] == [2] and position == 0  # applied at once, position held at the hole
            slow.commit()
        projection.catch_up()
        facts, days, position = snapshot(warehouse)
        assert sorted(row[6] for row in facts) == [1, 2] and position == max(row[0] for row in facts)
        assert sum(row[10] for row in days) == 2
    finally:
        warehouse.close()
        engine.dispose()
