"""projection_link_registrations and projection_linked_days against an in-memory DuckDB: a registration
from another system, projected before its lead existed, gets its lead, owner, team and business type
when the lead.created link arrives (in a later batch or the same one), and the daily counts follow."""
from __future__ import annotations

from datetime import datetime, timezone

from data.duckdb_replica import apply_batch, ensure_schema
from data.warehouse import DuckDbWarehouse

NOW = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)


def registration(seq: int, event_id: str, day: int) -> tuple:
    return (seq, event_id, "/crm", "lead.registered", datetime(2026, 11, day, 9), None, None, None, "HOTEL",
            None, None, None, None, None, None, None, None)


def test_a_link_enriches_the_registration_and_its_day_counts():
    cur = DuckDbWarehouse(":memory:").cursor()
    ensure_schema(cur)
    apply_batch(cur, [registration(1, "a", 28), registration(2, "b", 29)], 2, NOW)
    apply_batch(cur, [registration(3, "c", 29)], 4, NOW, links=[("/crm", "a", 41, 7, 70, "CANTEEN"),
                                                                 ("/crm", "c", 43, 8, 80, None),
                                                                 ("/other", "b", 99, 9, 90, None)])
    facts = cur.execute("SELECT event_id, lead_id, user_id, team_id, business_type FROM events ORDER BY seq").fetchall()
    assert facts == [("a", 41, 7, 70, "CANTEEN"), ("b", None, None, None, "HOTEL"), ("c", 43, 8, 80, "HOTEL")]
    days = cur.execute("SELECT day::VARCHAR, team_id, n, leads FROM daily_counts ORDER BY day, team_id NULLS LAST").fetchall()
    assert days == [("2026-11-28", 70, 1, 1), ("2026-11-29", 80, 1, 1), ("2026-11-29", None, 1, 0)]


def test_a_link_on_a_busy_day_leaves_its_other_counts_equal_to_a_group_by_of_the_facts():
    cur = DuckDbWarehouse(":memory:").cursor()
    ensure_schema(cur)
    sends = [(seq, f"s{seq}", "/cockpit", "followup.sent", datetime(2026, 11, 28, 10, seq), 40 + seq % 3, 7, 70, "HOTEL",
              "T3", "FOLLOW_UP", 1, "A", None, None, None, None) for seq in range(2, 12)]
    apply_batch(cur, [registration(1, "a", 28)] + sends, 11, NOW)
    apply_batch(cur, [], 12, NOW, links=[("/crm", "a", 41, 7, 70, "CANTEEN")])
    kept = cur.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
    recount = cur.execute("SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, "
                          "variant, label, COUNT(*), COUNT(DISTINCT lead_id), SUM(revenue), SUM(volume) FROM events "
                          "GROUP BY ALL ORDER BY ALL").fetchall()
    assert kept == recount
    assert [row[10:12] for row in kept if row[1] == "followup.sent"] == [(10, 3)]
