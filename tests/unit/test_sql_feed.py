"""The recent-activity feed (cockpit_recent over recent_events and the facts above its mark) equals a
top-N of all facts of the scope, counted here in Python from the events applied, however they arrive:
out of time order, beyond a hole in the log, in batches, with registrations linked to leads later, and
with the kept rows trimmed to a few per owner."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

import data.duckdb_replica as replica
from data.duckdb_cockpit import DuckDbCockpit
from data.duckdb_replica import FACT_COLUMNS, apply_batch, ensure_schema, refresh_all_leads, refresh_pending
from data.warehouse import DuckDbWarehouse

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
TEAM_OF = {1: 10, 2: 10, 3: 20, 4: None}  # owner -> team (owner 4 has none)
SCOPES = [(None, None), (10, None), (20, None), (10, 1), *((None, user) for user in TEAM_OF)]
KEPT = 3  # rows kept per (team, owner) in this test, so the trim is exercised

fact = st.fixed_dictionaries({
    "type": st.sampled_from(["lead.registered", "followup.sent", "followup.replied", "email.opened"]),
    "minute": st.integers(0, 5),  # few instants: ties are broken by seq
    "user": st.sampled_from(sorted(TEAM_OF)),
    "lead": st.integers(1, 6),
    "linked_later": st.booleans(),  # a registration from another system, linked to its lead in a later batch
})


@st.composite
def arrivals(draw):
    """Facts (seq = index + 1), the order they are applied in, and where batches and refreshes fall."""
    facts = draw(st.lists(fact, min_size=1, max_size=30))
    order = draw(st.permutations(range(len(facts))))
    cuts = sorted(draw(st.sets(st.integers(1, len(facts)), max_size=6)) | {len(facts)})
    refresh_after = draw(st.sets(st.integers(0, len(cuts) - 1)))
    return facts, order, cuts, refresh_after


def as_row(seq: int, f: dict, linked: bool) -> tuple:
    held = f["type"] == "lead.registered" and f["linked_later"] and not linked
    user = None if held else f["user"]
    values = dict(seq=seq, event_id=f"e{seq}", source="/crm", type=f["type"], lead_id=None if held else f["lead"],
                  time=datetime(2026, 11, 30, 9, f["minute"]), user_id=user, team_id=TEAM_OF.get(user))
    return tuple(values.get(c) for c in FACT_COLUMNS)


def expected(applied: dict[int, tuple], team, user, limit) -> list[int]:
    rows = [r for r in applied.values() if r[5] is not None
            and (team is None or r[7] == team) and (user is None or r[6] == user)]
    return [r[0] for r in sorted(rows, key=lambda r: (r[4], r[0]), reverse=True)[:limit]]


def assert_feed_equals_facts(cockpit: DuckDbCockpit, applied: dict[int, tuple]) -> None:
    for team, user in SCOPES:
        for limit in (1, KEPT):
            assert [r["seq"] for r in cockpit.recent(team, user, limit)] == expected(applied, team, user, limit)


@settings(max_examples=80, deadline=None)
@given(arrivals())
def test_the_feed_is_the_newest_facts_of_each_scope_however_they_arrive(case):
    facts, order, cuts, refresh_after = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replica, "FEED_ROWS_KEPT", KEPT)
        warehouse = DuckDbWarehouse(":memory:")  # one per example: nothing carries over
        cockpit, cur = DuckDbCockpit(warehouse), warehouse.cursor()
        ensure_schema(cur)
        applied, start, unlinked, linked_since_refresh = {}, 0, set(), False
        for i, cut in enumerate(cuts):
            seqs = [index + 1 for index in order[start:cut]]
            rows = [as_row(seq, facts[seq - 1], linked=False) for seq in seqs]
            links = [("/crm", f"e{seq}", facts[seq - 1]["lead"], facts[seq - 1]["user"],
                      TEAM_OF[facts[seq - 1]["user"]], None) for seq in sorted(unlinked)]
            applied.update({row[0]: row for row in rows})
            applied.update({seq: as_row(seq, facts[seq - 1], linked=True) for seq in unlinked})
            unlinked = {row[0] for row in rows if row[5] is None}
            position = next(s for s in range(len(facts) + 1) if s + 1 not in applied)  # below the first hole
            apply_batch(cur, rows, position, NOW, links)
            linked_since_refresh = linked_since_refresh or bool(links)
            if not linked_since_refresh:  # a linked registration is taken in with the next refresh
                assert_feed_equals_facts(cockpit, applied)
            if i in refresh_after:
                refresh_pending(cur)
                linked_since_refresh = False
                assert_feed_equals_facts(cockpit, applied)
            start = cut
        refresh_pending(cur)
        assert_feed_equals_facts(cockpit, applied)
        cur.close()
        warehouse.close()


def test_a_rebuild_takes_the_feed_in_again_and_the_next_refresh_moves_its_mark():
    warehouse = DuckDbWarehouse(":memory:")
    cockpit, cur = DuckDbCockpit(warehouse), warehouse.cursor()
    ensure_schema(cur)
    sends = [(seq, f"e{seq}", "/cockpit", "followup.sent", datetime(2026, 11, 30, 9) + timedelta(minutes=seq % 7),
              seq % 5 + 1, 1, 10, "HOTEL", "T3", None, None, None, None, None, None, None) for seq in range(1, 101)]
    apply_batch(cur, sends, 100, NOW)
    cur.begin()
    refresh_all_leads(cur)
    cur.commit()
    kept = cur.execute("SELECT count(*), (SELECT seq FROM projection_position WHERE name = 'recent_feed') "
                       "FROM recent_events").fetchone()
    assert kept == (replica.FEED_ROWS_KEPT, 100)
    newest = [r["seq"] for r in cockpit.recent(None, 1, 8)]
    assert newest == [r[0] for r in sorted(sends, key=lambda r: (r[4], r[0]), reverse=True)[:8]]
    with pytest.raises(ValueError):
        cockpit.recent(None, 1, replica.FEED_ROWS_KEPT + 1)  # more than the replica keeps would be wrong


def test_a_replica_written_before_the_feed_rows_shows_the_same_feed_and_takes_them_in_with_its_next_refresh():
    warehouse = DuckDbWarehouse(":memory:")
    cockpit, cur = DuckDbCockpit(warehouse), warehouse.cursor()
    ensure_schema(cur)
    sends = [(seq, f"e{seq}", "/cockpit", "followup.sent", datetime(2026, 11, 30, 9, 60 - seq), seq % 3 + 1, 1, 10,
              "HOTEL", "T3", None, None, None, None, None, None, None) for seq in range(1, 60)]
    apply_batch(cur, sends[:-1], 58, NOW)
    refresh_pending(cur)
    cur.execute("DELETE FROM recent_events; DELETE FROM projection_position WHERE name = 'recent_feed'")  # as before
    newest = [r[0] for r in sorted(sends[:-1], key=lambda r: (r[4], r[0]), reverse=True)[:8]]
    assert [r["seq"] for r in cockpit.recent(10, None, 8)] == newest == list(range(1, 9))
    apply_batch(cur, sends[-1:], 59, NOW)
    refresh_pending(cur)
    assert cur.execute("SELECT count(*) FROM recent_events").fetchone() == (replica.FEED_ROWS_KEPT,)
    assert [r["seq"] for r in cockpit.recent(10, None, 8)] == newest
