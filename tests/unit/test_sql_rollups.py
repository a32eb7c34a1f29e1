"""The rollups the projection keeps beside the facts (schema.sql lead_rollup, send_rollup) equal a
recomputation from all facts however the events arrive: one at a time, out of order, in batches."""
from __future__ import annotations

import random
from datetime import datetime

import duckdb
import pytest

from data.duckdb_replica import FACT_COLUMNS, apply_batch, ensure_schema, refresh_all_leads, refresh_pending
from tests.unit.test_sql_analytics import LEADS, STORY

NOW = datetime(2026, 12, 1)


def fact_rows() -> list[tuple]:
    rows = []
    for seq, (lead, kind, when, extra) in enumerate(STORY, start=1):
        user, team, btype = LEADS[lead]
        values = dict(seq=seq, event_id=f"e{seq}", source="/test", type=kind, time=datetime.fromisoformat(when),
                      lead_id=lead, user_id=user, team_id=team, business_type=btype, **extra)
        rows.append(tuple(values.get(c) for c in FACT_COLUMNS))
    return rows


def rollups(cur) -> tuple[list, list]:
    return (cur.execute("SELECT * FROM lead_rollup ORDER BY lead_id").fetchall(),
            cur.execute("SELECT * FROM send_rollup ORDER BY seq").fetchall())


@pytest.fixture
def cur():
    conn = duckdb.connect(":memory:")
    ensure_schema(conn)
    yield conn
    conn.close()


@pytest.mark.parametrize("batch", [1, 3, len(STORY)])
def test_rollups_applied_in_batches_equal_a_recount_from_the_facts(cur, batch):
    rows = fact_rows()
    random.Random(batch).shuffle(rows)  # a reply may be applied before the send it is credited to
    for i in range(0, len(rows), batch):
        apply_batch(cur, rows[i:i + batch], i + batch, NOW)
        assert refresh_pending(cur) and not refresh_pending(cur)  # once per batch, then nothing is left
    applied = rollups(cur)
    refresh_all_leads(cur)
    assert applied == rollups(cur)
    assert len(applied[0]) == len(LEADS) and len(applied[1]) == 6  # one row per lead, one per send


def test_a_reply_naming_its_step_is_credited_to_that_send_after_a_later_send(cur):
    apply_batch(cur, fact_rows(), len(STORY), NOW)
    refresh_pending(cur)
    credited = dict(cur.execute("SELECT step, replied_at FROM send_rollup WHERE lead_id = 3").fetchall())
    assert credited == {"T3": datetime(2026, 11, 19, 10), "T7": None}


def test_a_lead_counts_in_the_cohort_of_its_first_registration(cur):
    rows = fact_rows()
    again = (999, "e999", "/other", "lead.registered", datetime(2026, 11, 25), 5, 20, 2, "CANTEEN", *[None] * 8)
    apply_batch(cur, [*rows, again], 999, NOW)
    refresh_pending(cur)
    assert cur.execute("SELECT registered_at FROM lead_rollup WHERE lead_id = 5").fetchone() == (datetime(2026, 10, 20, 9),)


@pytest.mark.parametrize("batch", [1, 3, len(STORY)])
def test_daily_counts_applied_in_batches_equal_a_group_by_of_the_facts(cur, batch):
    rows = fact_rows() + [tuple(None if c in ("user_id", "team_id", "step") else v  # a lead with no owner, no step
                                for c, v in zip(FACT_COLUMNS, fact_rows()[0])) for _ in range(1)]
    rows[-1] = (len(rows),) + rows[-1][1:]
    random.Random(batch).shuffle(rows)
    for i in range(0, len(rows), batch):
        apply_batch(cur, rows[i:i + batch], i + batch, NOW)
    kept = cur.execute("SELECT * FROM daily_counts ORDER BY ALL").fetchall()
    recount = cur.execute("SELECT day, type, user_id, team_id, business_type, step, template_id, template_version, "
                          "variant, label, COUNT(*), COUNT(DISTINCT lead_id), SUM(revenue), SUM(volume) FROM events "
                          "GROUP BY ALL ORDER BY ALL").fetchall()
    assert kept == recount and any(row[2] is None for row in kept)
