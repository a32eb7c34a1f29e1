"""Each analytics query against an in-memory DuckDB built from schema.sql, with seeded rows and
expectations worked out by hand from the story below.

November 2026 (weeks start Monday 2 and Monday 9). Team 1: users 10, 11; team 2: user 20.
  lead 1 (u10 HOTEL)      registered 11-02, sample 11-03, T3 SAMPLE_REQUEST v1 A 11-06 10:00,
                          reply without step 11-07 10:00 POSITIVE, converted 11-08 (volume 1000),
                          orders 300 on 11-20 and 500 on 2027-03-01 (past the 90 days)
  lead 2 (u10 RESTAURANT) registered 11-03, sample 11-04, T3 v1 B 11-07 10:00, opened 11-08,
                          T7 FOLLOW_UP v1 A 11-12 10:00, reply naming T7 11-13 10:00 NEUTRAL
  lead 3 (u11 HOTEL)      registered 11-10, T3 v1 B 11-13 10:00, bounced 11-13 15:00,
                          T7 FOLLOW_UP v1 A 11-18 10:00, reply naming T3 11-19 10:00 NEGATIVE
  lead 4 (u20 CANTEEN)    registered 11-10, sample 11-11, T3 v1 A 11-14 10:00, converted 11-20 (volume 2000)
  lead 5 (u20 CANTEEN)    registered 10-20: outside the period
"""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from data import analytics_queries as q
from data.duckdb_replica import ensure_schema, refresh_all_leads
from domain.stats import in_holdout

LEADS = {1: (10, 1, "HOTEL"), 2: (10, 1, "RESTAURANT"), 3: (11, 1, "HOTEL"), 4: (20, 2, "CANTEEN"), 5: (20, 2, "CANTEEN")}
STORY = [  # (lead, type, time, extra columns)
    (1, "lead.registered", "2026-11-02 09:00", {}), (1, "lead.sample_delivered", "2026-11-03 09:00", {}),
    (1, "followup.sent", "2026-11-06 10:00", dict(step="T3", template_id="SAMPLE_REQUEST", template_version=1, variant="A")),
    (1, "followup.replied", "2026-11-07 10:00", dict(label="POSITIVE")),
    (1, "customer.converted", "2026-11-08 09:00", dict(customer_id=101, volume=1000.0)),
    (1, "customer.order_placed", "2026-11-20 09:00", dict(revenue=300.0)),
    (1, "customer.order_placed", "2027-03-01 09:00", dict(revenue=500.0)),
    (2, "lead.registered", "2026-11-03 09:00", {}), (2, "lead.sample_delivered", "2026-11-04 09:00", {}),
    (2, "followup.sent", "2026-11-07 10:00", dict(step="T3", template_id="SAMPLE_REQUEST", template_version=1, variant="B")),
    (2, "email.opened", "2026-11-08 09:00", {}),
    (2, "followup.sent", "2026-11-12 10:00", dict(step="T7", template_id="FOLLOW_UP", template_version=1, variant="A")),
    (2, "followup.replied", "2026-11-13 10:00", dict(step="T7", label="NEUTRAL")),
    (3, "lead.registered", "2026-11-10 09:00", {}),
    (3, "followup.sent", "2026-11-13 10:00", dict(step="T3", template_id="SAMPLE_REQUEST", template_version=1, variant="B")),
    (3, "email.bounced", "2026-11-13 15:00", {}),
    (3, "followup.sent", "2026-11-18 10:00", dict(step="T7", template_id="FOLLOW_UP", template_version=1, variant="A")),
    (3, "followup.replied", "2026-11-19 10:00", dict(step="T3", label="NEGATIVE")),
    (4, "lead.registered", "2026-11-10 09:00", {}), (4, "lead.sample_delivered", "2026-11-11 09:00", {}),
    (4, "followup.sent", "2026-11-14 10:00", dict(step="T3", template_id="SAMPLE_REQUEST", template_version=1, variant="A")),
    (4, "customer.converted", "2026-11-20 09:00", dict(customer_id=104, volume=2000.0)),
    (5, "lead.registered", "2026-10-20 09:00", {}),
]
NOVEMBER = {"since": datetime(2026, 11, 1), "until": datetime(2026, 12, 1), "team_id": None, "user_id": None,
            "business_type": None, "step": None, "template_id": None}
STAGES = ("registered", "sample_delivered", "t3_sent", "t7_sent", "replied", "positive", "converted")


@pytest.fixture(scope="module")
def cursor():
    conn = duckdb.connect(":memory:")
    ensure_schema(conn)
    for seq, (lead, kind, when, extra) in enumerate(STORY, start=1):
        user, team, btype = LEADS[lead]
        row = dict(seq=seq, event_id=f"e{seq}", source="/test", type=kind, time=datetime.fromisoformat(when),
                   day=datetime.fromisoformat(when).date(), lead_id=lead, user_id=user, team_id=team,
                   business_type=btype, **extra)
        conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    refresh_all_leads(conn)  # the rollups the projection keeps beside the facts
    yield conn
    conn.close()


def params(**overrides):
    return {**NOVEMBER, **overrides}


def stage_params(**overrides):
    return params(**overrides)


def test_funnel_stages_count_each_lead_once_per_stage(cursor):
    [row] = q.rows(cursor, "funnel_stages", stage_params())
    assert tuple(row[s] for s in STAGES) == (4, 3, 4, 2, 3, 1, 2)


@pytest.mark.parametrize("filters, expected", [
    ({"team_id": 1}, (3, 2, 3, 2, 3, 1, 1)),
    ({"user_id": 20}, (1, 1, 1, 0, 0, 0, 1)),
    ({"business_type": "HOTEL"}, (2, 1, 2, 1, 2, 1, 1)),
    ({"template_id": "FOLLOW_UP"}, (2, 1, 2, 2, 2, 0, 0)),
    ({"step": "T7"}, (2, 1, 2, 2, 2, 0, 0)),  # leads 2 and 3 were sent T+7
    ({"since": datetime(2026, 10, 1), "until": datetime(2026, 11, 1)}, (1, 0, 0, 0, 0, 0, 0)),
])
def test_funnel_stages_follow_the_filters(cursor, filters, expected):
    [row] = q.rows(cursor, "funnel_stages", stage_params(**filters))
    assert tuple(row[s] for s in STAGES) == expected


def test_funnel_cohorts_by_week_of_registration(cursor):
    weeks = q.rows(cursor, "funnel_cohorts", stage_params())
    assert [(w["week"], *(w[s] for s in STAGES)) for w in weeks] == [
        (date(2026, 11, 9), 2, 1, 2, 1, 1, 0, 1),
        (date(2026, 11, 2), 2, 2, 2, 1, 2, 1, 1),
    ]


def test_funnel_steps_credit_replies_and_conversions_to_the_last_touch(cursor):
    steps = {r["step"]: r for r in q.rows(cursor, "funnel_steps", params())}
    t3, t7 = steps["T3"], steps["T7"]
    assert (t3["sent"], t3["replied"], t3["positive"], t3["converted"]) == (4, 2, 1, 2)
    assert t3["hours_to_reply"] == pytest.approx(84)  # median of 24 h (lead 1) and 144 h (lead 3)
    assert (t7["sent"], t7["replied"], t7["positive"], t7["converted"]) == (2, 1, 0, 0)
    assert t7["hours_to_reply"] == pytest.approx(24)
    assert [r["step"] for r in q.rows(cursor, "funnel_steps", params(step="T7"))] == ["T7"]


def test_templates_compare_per_template_version_and_variant(cursor):
    got = [(r["template_id"], r["template_version"], r["variant"], r["sent"], r["delivered"], r["opened"], r["clicked"],
            r["replied"], r["positive"], r["converted"]) for r in q.rows(cursor, "templates_compare", params())]
    assert got == [
        ("FOLLOW_UP", 1, "A", 2, 2, 0, 0, 1, 0, 0),
        ("SAMPLE_REQUEST", 1, "A", 2, 2, 0, 0, 1, 1, 2),
        ("SAMPLE_REQUEST", 1, "B", 2, 1, 1, 0, 1, 0, 0),
    ]


def test_templates_compare_within_one_team(cursor):
    got = {(r["template_id"], r["variant"]): r["sent"] for r in q.rows(cursor, "templates_compare", params(team_id=2))}
    assert got == {("SAMPLE_REQUEST", "A"): 1}


def test_roi_monthly_revenue_of_the_first_90_days_or_the_estimate(cursor):
    got = [(r["month"], r["step"], r["sent"], r["converted"], r["revenue"], r["estimated_conversions"])
           for r in q.rows(cursor, "roi_monthly", params())]
    assert got == [(date(2026, 11, 1), "T3", 4, 2, 2300.0, 1),  # 300 in orders (lead 1) + 2000 estimated (lead 4)
                   (date(2026, 11, 1), "T7", 2, 0, 0.0, 0)]


def test_roi_holdout_split_equals_the_domain_rule(cursor):
    p = {k: v for k, v in stage_params().items() if k not in ("template_id", "step")} | {"share": 0.5, "salt": "holdout-v1"}
    got = {r["holdout"]: (r["leads"], r["converted"]) for r in q.rows(cursor, "roi_holdout", p)}
    held = [lead for lead in (1, 2, 3, 4) if in_holdout(lead, 0.5)]
    assert held == [2, 4]  # buckets 0.573, 0.239, 0.833, 0.132
    assert got == {True: (2, 1), False: (2, 1)}  # lead 4 and lead 1 converted


def test_export_events_streams_filtered_csv_lines_in_the_asked_order(cursor):
    text = b"".join(chunk for chunk, _lines in q.stream_text(cursor, "export_events", params(team_id=2), "time",
                                                             descending=True, vectors=1))
    got = [line.split(",") for line in text.decode().split("\r\n") if line]
    assert [(r[3], r[2]) for r in got] == [("4", "customer.converted"), ("4", "followup.sent"),
                                           ("4", "lead.sample_delivered"), ("4", "lead.registered")]


def test_stream_refuses_anything_but_a_plain_column_name(cursor):
    with pytest.raises(ValueError):
        list(q.stream_text(cursor, "export_events", params(), "time; DROP TABLE events", descending=False))
    with pytest.raises(ValueError):
        q.load("../schema")
