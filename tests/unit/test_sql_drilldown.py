"""The drill-down and event-log queries (data/sql/drill_*.sql, events_page.sql) against an in-memory
DuckDB, with the story of test_sql_analytics: the leads behind each number are worked out by hand there,
and each drill-down must list exactly as many leads as the number it comes from counts."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from data import analytics_queries as q
from tests.unit.test_sql_analytics import STAGES, cursor, params  # noqa: F401  (cursor: the story's fixture)


def leads(cur, name: str, **values) -> list[tuple[int, int]]:
    return [(r["lead_id"], r["n"]) for r in q.rows(cur, name, values)]


def funnel(cur, stage: str, week: date | None = None, **filters) -> list[int]:
    return [lead for lead, _n in leads(cur, "drill_funnel", **params(**filters), stage=stage, week=week)]


@pytest.mark.parametrize("stage, expected", [("registered", [1, 2, 3, 4]), ("sample_delivered", [1, 2, 4]),
                                             ("t3_sent", [1, 2, 3, 4]), ("t7_sent", [2, 3]), ("replied", [1, 2, 3]),
                                             ("positive", [1]), ("converted", [1, 4]), ("not a stage", [])])
def test_a_funnel_stage_lists_the_leads_it_counts(cursor, stage, expected):  # noqa: F811
    assert funnel(cursor, stage) == expected
    if stage in STAGES:
        [counts] = q.rows(cursor, "funnel_stages", params())
        assert len(expected) == counts[stage]


@pytest.mark.parametrize("filters", [{"team_id": 1}, {"user_id": 20}, {"business_type": "HOTEL"}, {"step": "T7"},
                                     {"template_id": "FOLLOW_UP"}])
def test_a_funnel_stage_follows_the_filters_as_its_number_does(cursor, filters):  # noqa: F811
    [counts] = q.rows(cursor, "funnel_stages", params(**filters))
    assert [len(funnel(cursor, stage, **filters)) for stage in STAGES] == [counts[s] for s in STAGES]


def test_a_cohort_cell_lists_the_leads_of_its_week(cursor):  # noqa: F811
    assert funnel(cursor, "registered", date(2026, 11, 9)) == [3, 4]
    assert funnel(cursor, "replied", date(2026, 11, 2)) == [1, 2]
    for week in q.rows(cursor, "funnel_cohorts", params()):
        assert [len(funnel(cursor, s, week["week"])) for s in STAGES] == [week[s] for s in STAGES]


@pytest.mark.parametrize("template, version, variant, metric, expected", [
    ("SAMPLE_REQUEST", 1, "B", "sent", [(2, 1), (3, 1)]), ("SAMPLE_REQUEST", 1, "B", "delivered", [(2, 1)]),
    ("SAMPLE_REQUEST", 1, "B", "opened", [(2, 1)]), ("SAMPLE_REQUEST", 1, "B", "replied", [(3, 1)]),
    ("SAMPLE_REQUEST", 1, "A", "converted", [(1, 1), (4, 1)]), ("FOLLOW_UP", 1, "A", "replied", [(2, 1)]),
    ("FOLLOW_UP", None, "A", "sent", []), ("FOLLOW_UP", 1, "A", "not a metric", [])])
def test_a_template_cell_lists_the_leads_its_sends_went_to(cursor, template, version, variant, metric, expected):  # noqa: F811
    got = leads(cursor, "drill_templates", **params(template_id=template), variant_template=template, version=version,
                variant=variant, metric=metric)
    assert got == expected
    row = next((r for r in q.rows(cursor, "templates_compare", params())
                if (r["template_id"], r["template_version"], r["variant"]) == (template, version, variant)), None)
    if row is not None and metric in row:
        assert sum(n for _lead, n in got) == row[metric]


@pytest.mark.parametrize("kind, step, label, team, expected", [
    ("followup.sent", "T3", None, None, [(1, 1), (2, 1), (3, 1), (4, 1)]), ("followup.sent", "T3", None, 1, [(1, 1), (2, 1), (3, 1)]),
    ("followup.sent", None, None, 2, [(4, 1)]), ("followup.replied", None, None, None, [(1, 1), (2, 1), (3, 1)]),
    ("followup.replied", None, "POSITIVE", None, [(1, 1)]), ("customer.converted", None, None, None, [(1, 1), (4, 1)])])
def test_a_cockpit_card_lists_the_leads_of_its_events(cursor, kind, step, label, team, expected):  # noqa: F811
    got = leads(cursor, "drill_cockpit", first=date(2026, 11, 1), last=date(2026, 11, 30), type=kind, step=step,
                label=label, team_id=team, user_id=None)
    assert got == expected


EVERYTHING = {"since": datetime(1970, 1, 1), "until": datetime(2200, 1, 2), "type_text": None, "lead_id": None,
              "team_id": None, "user_id": None, "business_type": None, "step": None, "template_id": None,
              "variant": None, "label": None, "limit": 100, "offset": 0}


def events(cur, order_by: str = "seq", descending: bool = True, **filters) -> list[dict]:
    return q.ordered_rows(cur, "events_page", {**EVERYTHING, **filters}, order_by, descending)


def test_the_event_log_pages_filters_and_counts(cursor):  # noqa: F811
    rows = events(cursor)
    assert [r["seq"] for r in rows] == sorted((r["seq"] for r in rows), reverse=True) and rows[0]["total"] == len(rows) == 23
    lead3 = events(cursor, "time", False, lead_id=3)
    assert [r["type"] for r in lead3] == ["lead.registered", "followup.sent", "email.bounced", "followup.sent",
                                          "followup.replied"] and lead3[0]["total"] == 5
    assert {r["total"] for r in events(cursor, type_text="FOLLOWUP")} == {9}
    page = events(cursor, team_id=2, limit=2, offset=2)
    assert len(page) == 2 and page[0]["total"] == 5
    assert events(cursor, since=datetime(2026, 11, 20), until=datetime(2026, 11, 21), label=None)[0]["total"] == 2
    with pytest.raises(ValueError):
        events(cursor, "seq; DROP TABLE events")
