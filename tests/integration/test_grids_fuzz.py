"""Hostile input to what the grids and the drill-down added (property-based, Hypothesis): any URL query on
/leads gives the page (with a message when a value is refused), never an error; any grid export query
gives 200, 400, 403 or 404, never a 5xx; and nothing is stored either way."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data.conversion_models import ConversionDecision
from data.models import Activity, Customer, EventRecord, Lead
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in

FUZZ = settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])
KEYS = st.sampled_from(["q", "status", "type", "owner", "drill", "stage", "week", "metric", "version", "variant", "card",
                        "period", "from", "to", "team", "user", "business_type", "step", "template", "sort", "filter",
                        "decision", "rule", "fact"]) | st.text(max_size=8)
VALUES = (st.sampled_from(["stage", "cohort", "variant", "cockpit", "t3_sent", "registered", "converted", "t3", "replies",
                           "7d", "30d", "365d", "custom", "2026-11-02", "9999-12-31", "none", "A", "SAMPLE_REQUEST", "HOTEL",
                           "ACTIVE", "REJECT", "qualified", "company", "-contact_name,score", "1", "0", "-1", "999999999999",
                           '{"company":{"type":"contains","filter":"a"}}', '{"score":{"type":"inRange","filter":1}}',
                           '{"x":' * 50, "[]", "%00", "\u0000", "x" * 300])
          | st.text(max_size=20) | st.integers(-10, 10**12).map(str))
QUERIES = st.lists(st.tuples(KEYS, VALUES), max_size=8)
ROLES = ("admin", "manager", "sales", "analyst", "viewer")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("grids-fuzz"), relay_enabled=False, demo_leads=60) as (live, app):
        app.extensions["analytics_projection"].catch_up()
        factory = app.extensions["cockpit"].uow.session_factory
        yield live.url, factory, {role: sign_in(live.url, role) for role in ROLES}


def stored(factory) -> tuple:
    with factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Lead, Activity, Customer, EventRecord,
                                                                              ConversionDecision))


@FUZZ
@given(query=QUERIES, role=st.sampled_from(ROLES))
def test_any_query_on_the_leads_page_renders_it(served, query, role):
    url, factory, clients = served
    before = stored(factory)
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", "/leads"), ("_pages_location", "search", "?" + urlencode(query))])
    r = post_callback(clients[role], url, body)
    assert r.status_code == 200, r.text[:300]
    assert ("Not available" in r.text) == (role == "viewer")
    assert stored(factory) == before


@FUZZ
@given(query=QUERIES, role=st.sampled_from(ROLES), grid=st.sampled_from(["leads", "decisions", "events", "nope", "leads.csv"]))
def test_any_grid_export_query_is_answered_without_a_server_error(served, query, role, grid):
    url, factory, clients = served
    before = stored(factory)
    r = clients[role].get(f"{url}/export/grid/{grid}.csv?{urlencode(query)}")
    body = r.content  # a streamed export fails, if at all, while it is read
    assert r.status_code in (200, 400, 403, 404), (r.status_code, body[:300])
    if r.status_code == 200:
        assert r.headers["Content-Type"].startswith("text/csv") and body.count(b"\r\n") >= 1
    assert (r.status_code == 403) or role != "viewer" or grid not in ("leads", "decisions", "events")
    assert stored(factory) == before


def test_the_grid_exports_hold_what_the_grids_show(served):
    url, _factory, clients = served
    manager = clients["manager"]
    grid = post_callback(manager, url, callback_body(
        [("leads-table", "getRowsResponse"), ("leads-total", "children"), ("leads-download", "href")],
        [("leads-table", "getRowsRequest", {"startRow": 0, "endRow": 200, "sortModel": [{"colId": "score", "sort": "desc"}],
                                            "filterModel": {"score": {"filterType": "number", "type": "greaterThan", "filter": 40}}})],
        [("leads-search", "value", ""), ("leads-status", "value", None), ("leads-type", "value", None),
         ("leads-owner", "value", None), ("leads-query", "data", {})])).json()["response"]
    href = grid["leads-download"]["href"]
    lines = manager.get(url + href).text.strip().split("\r\n")
    ids = [int(line.split(",")[0]) for line in lines[1:]]
    assert lines[0].startswith("id,company") and ids == [r["id"] for r in grid["leads-table"]["getRowsResponse"]["rowData"]]
    assert clients["viewer"].get(url + href).status_code == 403
    events = clients["analyst"].get(f"{url}/export/grid/events.csv?sort=-seq")
    assert events.status_code == 200 and events.text.startswith("seq,time,type")
    assert clients["manager"].get(f"{url}/export/grid/events.csv").status_code == 403
