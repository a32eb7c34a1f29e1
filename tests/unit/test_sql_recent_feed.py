"""The cockpit's feed of newest events (cockpit_recent over recent_events, kept by the projection):
for every scope it lists what a top-N over all facts lists, however the facts arrive (late, out of
order, twice, in batches, linked to a lead afterwards), and after a rebuild."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from data.duckdb_cockpit import DuckDbCockpit
from data.duckdb_replica import RECENT_DEPTH, apply_batch, ensure_schema, refresh_all_leads, refresh_pending
from data.warehouse import DuckDbWarehouse

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
START = datetime(2026, 11, 1)
OWNERS = [(1, 100), (2, 100), (3, 200), (None, None)]  # (user, team); a lead may have no owner
TYPES = ["followup.sent", "followup.replied", "lead.registered", "customer.converted"]


def fact(seq: int, minute: int, lead: int | None, owner: int, type_: str = "followup.sent") -> tuple:
    user, team = OWNERS[owner]
    return (seq, f"e{seq}", "/test", type_, START + timedelta(minutes=minute), lead, user, team, "HOTEL",
            "T3" if type_ == "followup.sent" else None, None, None, None, None, None, None, None)


def expected(cur, team, user, limit) -> list[int]:
    return [seq for (seq,) in cur.execute(
        "SELECT seq FROM events WHERE lead_id IS NOT NULL AND ($1 IS NULL OR team_id = $1) AND ($2 IS NULL OR user_id = $2) "
        "ORDER BY time DESC, seq DESC LIMIT $3", [team, user, limit]).fetchall()]


def scopes() -> list[tuple]:
    return [(None, None), (100, None), (200, None), (None, 1), (None, 3), (100, 2)]


@pytest.fixture
def replica():
    warehouse = DuckDbWarehouse(":memory:")
    cur = warehouse.cursor()
    ensure_schema(cur)
    yield cur, DuckDbCockpit(warehouse)
    cur.close()
    warehouse.close()


def assert_feed_matches_the_facts(cur, cockpit) -> None:
    for team, user in scopes():
        for limit in (1, 8, RECENT_DEPTH):
            assert [r["seq"] for r in cockpit.recent(team, user, limit)] == expected(cur, team, user, limit), (team, user, limit)


facts = st.lists(st.tuples(st.integers(0, 600), st.one_of(st.none(), st.integers(1, 30)), st.integers(0, 3),
                           st.sampled_from(TYPES)), min_size=1, max_size=120)


@settings(max_examples=15, deadline=None)
@given(facts=facts, batch=st.integers(1, 70), replay=st.integers(0, 20))
def test_the_feed_of_every_scope_equals_a_top_n_over_the_facts(facts, batch, replay):
    warehouse = DuckDbWarehouse(":memory:")
    cur, cockpit = warehouse.cursor(), DuckDbCockpit(warehouse)
    ensure_schema(cur)
    rows = [fact(seq, minute, lead, owner, type_) for seq, (minute, lead, owner, type_) in enumerate(facts, start=1)]
    for i in range(0, len(rows), batch):
        apply_batch(cur, rows[i:i + batch], i + batch, NOW)
    apply_batch(cur, rows[-replay:] if replay else [], len(rows), NOW)  # re-read after a gap: nothing counts twice
    assert_feed_matches_the_facts(cur, cockpit)
    refresh_pending(cur)
    assert_feed_matches_the_facts(cur, cockpit)
    kept = cur.execute("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM recent_events GROUP BY team_id, user_id)").fetchone()[0]
    assert kept <= RECENT_DEPTH
    refresh_all_leads(cur)  # as after a snapshot load
    assert_feed_matches_the_facts(cur, cockpit)


def test_a_reply_imported_late_sorts_by_when_it_happened_and_old_ones_drop_out(replica):
    cur, cockpit = replica
    apply_batch(cur, [fact(seq, 100 + seq, 7, 0) for seq in range(1, RECENT_DEPTH + 11)], RECENT_DEPTH + 10, NOW)
    assert refresh_pending(cur)  # trims the feed's table with the rollups
    assert cur.execute("SELECT count(*) FROM recent_events").fetchone()[0] == RECENT_DEPTH
    apply_batch(cur, [fact(100, 0, 7, 0, "followup.replied"), fact(101, 10_000, 7, 0, "followup.replied")], 101, NOW)
    newest = cockpit.recent(None, 1, 3)
    assert [r["seq"] for r in newest] == [101, RECENT_DEPTH + 10, RECENT_DEPTH + 9]
    assert 100 not in {r["seq"] for r in cockpit.recent(None, 1, RECENT_DEPTH)}, "older than every kept event"


def test_a_registration_linked_to_its_lead_later_enters_its_owners_feed(replica):
    cur, cockpit = replica
    registration = (1, "crm-1", "/crm", "lead.registered", START + timedelta(days=20), None, None, None, "HOTEL",
                    None, None, None, None, None, None, None, None)
    apply_batch(cur, [registration, fact(2, 5, 8, 0)], 2, NOW)
    assert [r["seq"] for r in cockpit.recent(None, 3, 8)] == []
    apply_batch(cur, [], 3, NOW, links=[("/crm", "crm-1", 41, 3, 200, None)])
    assert [(r["seq"], r["lead_id"]) for r in cockpit.recent(200, None, 8)] == [(1, 41)]
    assert [r["seq"] for r in cockpit.recent(None, None, 8)] == [1, 2]


def test_a_replica_from_before_the_feed_table_fills_it_once(replica):
    cur, cockpit = replica
    apply_batch(cur, [fact(seq, seq, seq % 5, seq % 4) for seq in range(1, 40)], 39, NOW)
    cur.execute("DROP TABLE recent_events")
    ensure_schema(cur)
    assert_feed_matches_the_facts(cur, cockpit)


def test_the_feed_refuses_more_rows_than_it_keeps(replica):
    _, cockpit = replica
    with pytest.raises(ValueError, match="50"):
        cockpit.recent(None, None, RECENT_DEPTH + 1)
