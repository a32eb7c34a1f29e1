"""Whatever a signed-in user of any role posts to Dash's callback endpoint: property-based fuzzing
(Hypothesis) of every callback the app registers, with values the page could send and values it never
would (1e308 as a page number, a list as a search text, forged ids), and of the envelope itself. No
answer is a 5xx, and a refused request (400, 403) changes nothing."""
from __future__ import annotations

import json
import re

import dash
import pytest
from dash._utils import split_callback_id
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from data.analytics_models import AnalyticsAssumption
from data.followup_models import FollowupPause
from data.models import (Activity, ConversionRule, Customer, EmailMessage, EmailTemplate, EventRecord, Lead, Suppression,
                         Team, User)
from data.sink_models import SinkDelivery
from data.task_models import OperatorAction, Task
from tests.conftest import make_settings, shutdown

# No shrinking: a failing example is reported as found (the app's state moved on, so a shrunk replay
# would not fail the same way), and shrinking hundreds of requests costs minutes.
FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WRITTEN = (User, Team, Lead, Activity, Customer, EventRecord, EmailTemplate, EmailMessage, ConversionRule, FollowupPause,
           AnalyticsAssumption, Task, OperatorAction, Suppression, SinkDelivery)
ROLES = [name for name in DEMO_ACCOUNTS if name != "sales2"]

SCALAR = (st.none() | st.booleans() | st.integers(-3, 12) | st.integers() | st.sampled_from([1e308, -1e308, 10**20, 2.5, -0.0])
          | st.text(max_size=12) | st.sampled_from(["", "abc", "7d", "custom", "2020-01-01", "9999-12-31", "ACTIVE", "HOTEL",
                                                    "viewer", "admin", "?period=custom&from=2020-01-01&to=9999-12-31",
                                                    "/leads", "/admin/users", "x" * 5000]))
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=6)
# What AG Grid sends, and forgeries of it: blocks of rows, sorts and filters of any column (the grids' own
# and others), clicked cells, selected rows (a decision group, a reply).
COLUMNS = st.sampled_from(["company", "contact_name", "city", "score", "registered_at", "next_followup_at", "owner", "latest",
                           "times", "type", "time", "lead_id", "seq", "label", "decision", "action", "email"]) | st.text(max_size=6)
OPS = st.sampled_from(["contains", "equals", "notEqual", "startsWith", "inRange", "lessThan", "greaterThan", "blank",
                       "notBlank", "regex"]) | st.text(max_size=6)
DAYS = st.sampled_from(["2026-11-01 00:00:00", "9999-12-31 00:00:00", "1969-12-31", "x"]) | SCALAR
FILTER = st.fixed_dictionaries({"filterType": st.sampled_from(["text", "number", "date"]) | SCALAR, "type": OPS},
                               optional={"filter": SCALAR, "filterTo": SCALAR, "dateFrom": DAYS, "dateTo": DAYS,
                                         "conditions": st.lists(st.dictionaries(st.text(max_size=5), SCALAR, max_size=3), max_size=2)})
GRID = {
    "getRowsRequest": st.fixed_dictionaries(
        {"startRow": st.integers(-5, 300) | SCALAR, "endRow": st.integers(-5, 400) | SCALAR},
        optional={"sortModel": st.lists(st.fixed_dictionaries({"colId": COLUMNS, "sort": st.sampled_from(["asc", "desc", None, "x"])}),
                                        max_size=4) | VALUE,
                  "filterModel": st.dictionaries(COLUMNS, FILTER, max_size=3) | VALUE}),
    "cellClicked": st.fixed_dictionaries({"colId": COLUMNS | SCALAR, "rowId": st.integers(-3, 60).map(str) | SCALAR,
                                          "rowIndex": st.integers(0, 30) | SCALAR, "value": SCALAR}),
    "selectedRows": st.lists(st.dictionaries(st.sampled_from(["id", "decision", "rule_id", "rule_version", "fact"]) | st.text(max_size=5),
                                             st.sampled_from(["REJECT", "CONVERT", "qualified"]) | SCALAR, max_size=5), max_size=3),
    "filterModel": st.dictionaries(COLUMNS, FILTER, max_size=3),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from app import create_app

    app = create_app(make_settings(tmp_path_factory.mktemp("callbacks"), demo_leads=40, relay_enabled=False,
                                   scheduler_enabled=False, demo_simulator=False))
    yield Served(app, dash.get_app().callback_map, {role: signed_in(app, role) for role in ROLES})
    shutdown(app)


class Served(tuple):
    """(app, callback map, a signed-in client per role), shown briefly in a failing example."""

    def __new__(cls, *parts):
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return "served"


def signed_in(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}).status_code == 302
    return client


def stored(app) -> tuple:
    with app.extensions["cockpit"].uow.session_factory() as s:
        return tuple(s.scalar(select(func.count()).select_from(model)) for model in WRITTEN)


def concrete(component_id: str, draw) -> object:
    """A pattern-matching id with its wildcards filled in, or the plain id."""
    if not component_id.startswith("{"):
        return component_id
    pattern = json.loads(component_id)
    return {k: draw(st.integers(0, 5) | st.text(max_size=6)) if isinstance(v, list) else v for k, v in pattern.items()}


def dependency(item: dict, draw):
    values = GRID[item["property"]] | VALUE if item["property"] in GRID else VALUE
    entry = lambda: {"id": concrete(item["id"], draw), "property": item["property"], "value": draw(values)}  # noqa: E731
    if item["id"].startswith("{") and ('["ALL"]' in item["id"] or '["ALLSMALLER"]' in item["id"]):
        return [entry() for _ in range(draw(st.integers(0, 2)))]
    return entry()


def prop_id(entry) -> str:
    entry = entry[0] if isinstance(entry, list) and entry else entry
    if not entry:
        return "none.n_clicks"
    given = entry["id"]
    return f"{json.dumps(given, sort_keys=True, separators=(',', ':')) if isinstance(given, dict) else given}.{entry['property']}"


def body_for(key: str, declared: dict, draw) -> dict:
    inputs = [dependency(i, draw) for i in declared["inputs"]]
    outputs = split_callback_id(key)
    return {"output": key, "outputs": outputs, "inputs": inputs, "state": [dependency(s, draw) for s in declared["state"]],
            "changedPropIds": [prop_id(draw(st.sampled_from(inputs)))] if inputs else []}


def assert_answered(app, response, before, what: str):
    assert response.status_code in (200, 204, 400, 403), f"{what}: {response.status_code} {response.get_data(as_text=True)[:400]}"
    if response.status_code in (400, 403):
        assert stored(app) == before, f"{what}: a refused callback changed something"


@FUZZ
@given(data=st.data())
def test_fuzz_every_callback_as_every_role(served, data):
    app, callback_map, clients = served
    for key, declared in sorted(callback_map.items()):
        role = data.draw(st.sampled_from(ROLES))
        body = body_for(key, declared, data.draw)
        before = stored(app)
        assert_answered(app, clients[role].post("/_dash-update-component", json=body), before, f"{role} {key}")


ENVELOPES = st.one_of(VALUE, st.fixed_dictionaries({"output": VALUE}, optional={"outputs": VALUE, "inputs": VALUE, "state": VALUE,
                                                                               "changedPropIds": VALUE}))


@FUZZ
@given(body=ENVELOPES, key=st.sampled_from(["leads-table.getRowsResponse", "roi-url.search",
                                             "..leads-table.getRowsResponse...leads-total.children...leads-download.href.."]))
def test_fuzz_callback_envelopes(served, body, key):
    app, _, clients = served
    if isinstance(body, dict) and isinstance(body.get("output"), int):
        body["output"] = key  # now and then a real callback with a broken rest
    before = stored(app)
    response = clients["admin"].post("/_dash-update-component", json=body)
    assert_answered(app, response, before, "envelope")


def leads_rows_body(callback_map, request, search="", drill=None) -> dict:
    key = next(k for k in callback_map if "leads-table.getRowsResponse" in k)
    values = {"leads-table": request, "leads-search": search, "leads-query": drill}
    dependencies = lambda kind: [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])}  # noqa: E731
                                 for i in callback_map[key][kind]]
    return {"output": key, "outputs": split_callback_id(key), "changedPropIds": ["leads-table.getRowsRequest"],
            "inputs": dependencies("inputs"), "state": dependencies("state")}


PAGE = {"startRow": 0, "endRow": 25}


@pytest.mark.parametrize("request_, search, drill", [
    ({"startRow": 1e308, "endRow": 25}, "", None), ({"startRow": 10**20, "endRow": 25}, "", None),
    ({"startRow": "abc", "endRow": 25}, "", None), ({"startRow": 0, "endRow": 10**6}, "", None),
    ({**PAGE, "sortModel": [{"colId": "password_hash", "sort": "asc"}]}, "", None),
    ({**PAGE, "sortModel": [{"colId": "company", "sort": "sideways"}]}, "", None),
    ({**PAGE, "filterModel": {"email": {"filterType": "text", "type": "contains", "filter": "a"}}}, "", None),
    ({**PAGE, "filterModel": {"company": {"filterType": "text", "type": "regex", "filter": ".*"}}}, "", None),
    ({**PAGE, "filterModel": {"score": {"filterType": "number", "type": "inRange", "filter": 1, "filterTo": "x"}}}, "", None),
    ({**PAGE, "filterModel": {"registered_at": {"filterType": "date", "type": "equals", "dateFrom": "9999-12-31"}}}, "", None),
    (PAGE, ["a", "b"], None), (PAGE, {"a": 1}, None), (PAGE, "", {"drill": ["stage"]}), (PAGE, "", "drill=stage")])
def test_hostile_leads_grid_values_get_400(served, request_, search, drill):
    app, callback_map, clients = served
    r = clients["sales"].post("/_dash-update-component", json=leads_rows_body(callback_map, request_, search, drill))
    assert r.status_code == 400 and r.mimetype == "application/problem+json", r.get_data(as_text=True)[:300]


@pytest.mark.parametrize("drill", [{"drill": "stage", "stage": "t3_sent", "team": "999"}, {"drill": "nothing"},
                                   {"drill": "cockpit", "card": "t3", "period": "1y"}, {"drill": "stage", "password": "x"}])
def test_a_forged_drill_down_in_the_leads_grid_is_a_message(served, drill):
    app, callback_map, clients = served
    r = clients["manager"].post("/_dash-update-component", json=leads_rows_body(callback_map, PAGE, "", drill))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    response = r.json["response"]
    assert response["leads-table"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
    assert response["leads-total"]["children"]


FAR_RANGE = "?period=custom&from=2020-01-01&to=9999-12-31"


def test_a_date_range_ending_in_9999_is_refused_by_the_funnel_and_the_export(served):
    app, callback_map, clients = served
    key = next(k for k in callback_map if "funnel-body.children" in k)
    body = {"output": key, "outputs": split_callback_id(key), "changedPropIds": ["funnel-url.search"], "state": [],
            "inputs": [{"id": "funnel-url", "property": "search", "value": FAR_RANGE}]}
    r = clients["analyst"].post("/_dash-update-component", json=body)
    assert r.status_code == 200 and "2200-01-01" in r.get_data(as_text=True)  # the page says which range it takes
    r = clients["manager"].get(f"/export/leads.csv{FAR_RANGE}")
    assert r.status_code == 400 and r.json["parameter"] == "to"
