"""The cockpit's named DuckDB queries against an in-memory replica with seeded rows."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from data.duckdb_cockpit import DuckDbCockpit
from data.duckdb_replica import apply_batch, ensure_schema, read_position
from data.warehouse import DuckDbWarehouse

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
D1, D2 = date(2026, 11, 19), date(2026, 11, 20)


def row(seq, type_, day, lead, user, team, step=None, label=None):
    t = datetime(day.year, day.month, day.day, 10, seq % 60)
    return (seq, f"e{seq}", "test", type_, t, lead, user, team, "HOTEL", step, "FOLLOW_UP" if step else None,
            None, "A" if step else None, label, None, None, None)


SEED = [
    row(1, "followup.sent", D1, 10, 1, 100, step="T3"),
    row(2, "followup.sent", D2, 10, 1, 100, step="T7"),
    row(3, "followup.sent", D2, 11, 2, 100, step="T3"),
    row(4, "followup.replied", D2, 10, 1, 100, label="POSITIVE"),
    row(5, "followup.replied", D2, 11, 2, 100, label="NEGATIVE"),
    row(6, "customer.converted", D2, 10, 1, 100),
    row(7, "followup.sent", D2, 20, 3, 200, step="T3"),
    row(8, "email.sent", D2, 20, 3, 200),
]


@pytest.fixture
def cockpit():
    warehouse = DuckDbWarehouse(":memory:")
    cur = warehouse.cursor()
    ensure_schema(cur)
    apply_batch(cur, SEED, 8, NOW)
    cur.close()
    yield DuckDbCockpit(warehouse)
    warehouse.close()


def test_daily_counts_per_day_for_one_owner(cockpit):
    days = cockpit.daily(D1, D2, None, 1)
    assert days[D1] == {"t3_sent": 1, "t7_sent": 0, "sent": 1, "replies": 0, "positive": 0, "conversions": 0}
    assert days[D2] == {"t3_sent": 0, "t7_sent": 1, "sent": 1, "replies": 1, "positive": 1, "conversions": 1}


def test_daily_counts_of_a_team_and_of_everything(cockpit):
    team = cockpit.daily(D2, D2, 100, None)[D2]
    assert (team["sent"], team["replies"], team["positive"]) == (2, 2, 1)
    everything = cockpit.daily(D2, D2, None, None)[D2]
    assert everything["sent"] == 3 and everything["t3_sent"] == 2


def test_daily_counts_outside_the_range_are_left_out(cockpit):
    assert cockpit.daily(D2, D2, None, 1).keys() == {D2}


def test_members_split_a_team_by_owner(cockpit):
    members = cockpit.members(D1, D2, 100)
    assert set(members) == {1, 2}
    assert members[1]["sent"] == 2 and members[2]["replies"] == 1
    assert 3 not in members


def test_recent_lists_newest_events_of_the_scope_only(cockpit):
    cur = cockpit.warehouse.cursor()
    apply_batch(cur, [row(9, "followup.replied", D1, 10, 1, 100, label="NEUTRAL")], 9, NOW)  # logged late, happened earlier
    cur.close()
    recent = cockpit.recent(None, 1, 3)
    assert [r["seq"] for r in recent] == [6, 4, 2]  # by when it happened, not by when it was logged
    assert {r["user_id"] for r in cockpit.recent(200, None, 10)} == {3}


def test_reapplying_a_batch_counts_nothing_twice(cockpit):
    cur = cockpit.warehouse.cursor()
    apply_batch(cur, SEED[2:5], 8, NOW)
    assert read_position(cur) == 8
    cur.close()
    assert cockpit.daily(D2, D2, 100, None)[D2]["sent"] == 2


def test_queries_cannot_read_files(cockpit):
    cur = cockpit.warehouse.cursor()
    with pytest.raises(Exception, match="(?i)disabled|permission"):
        cur.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
