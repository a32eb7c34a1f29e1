"""Leads registered through the event API count in the funnel, the cohorts and the events export
within a second, with their owner, team and business type: the projection does not depend on the
lead row existing when it reads the registration."""
from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pytest
import requests

from tests.conftest import serving_demo_app, wait_for
from tests.http_helpers import sign_in

AUTH = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents-batch+json"}
NEW = 25


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # no simulator: its own registrations would count beside ours
    with serving_demo_app(tmp_path_factory.mktemp("api-leads"), demo_leads=60, demo_simulator=False) as (live, app):
        yield live.url, app


def registrations(domain: str) -> list[dict]:
    return [{"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/crm/analytics", "subject": f"crm-{n}",
             "type": "com.freshplan.lead.registered.v1", "time": "2026-11-30T08:00:00Z",
             "data": {"company": f"Kantine {n}", "business_type": "CANTEEN", "registered_at": "2026-11-30T08:00:00Z",
                      "owner": "sales", "email": f"k{n}@{domain}", "email_consent": True}} for n in range(NEW)]


def rows(session, url: str, table: str) -> list[dict]:
    response = session.get(f"{url}/export/{table}.csv?period=365d&business_type=CANTEEN")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def registered(session, url: str) -> tuple[int, int, list[dict]]:
    """Registered CANTEEN leads in the funnel (its first stage) and the cohorts, and the registrations exported."""
    funnel = int(rows(session, url, "funnel")[0]["count"])
    cohorts = sum(int(r["registered"]) for r in rows(session, url, "cohorts"))
    return funnel, cohorts, [r for r in rows(session, url, "events") if r["type"] == "lead.registered"]


def test_api_leads_count_in_funnel_cohorts_and_exports_within_a_second(served):
    url, app = served
    analyst = sign_in(url, "analyst")
    # the start's own events are applied and their rollups (a fraction of a second behind) refreshed
    assert wait_for(app.extensions["analytics_projection"].settled, timeout=10)
    before_funnel, before_cohorts, before = registered(analyst, url)
    answer = requests.post(f"{url}/api/events", data=json.dumps(registrations(f"{uuid.uuid4().hex[:6]}.example")),
                           headers=AUTH)
    assert answer.status_code == 202
    # Within a second: a read that STARTED within it must see them (one read of three exports may
    # itself take longer than that on a loaded machine; it is the data's delay that counts).
    deadline = time.monotonic() + 1.0
    while True:
        started = time.monotonic()
        funnel, cohorts, exported = registered(analyst, url)
        ours = [r for r in exported if r["seq"] not in {b["seq"] for b in before}]
        if (funnel, cohorts, len(ours)) == (before_funnel + NEW, before_cohorts + NEW, NEW) or started > deadline:
            break
        time.sleep(0.05)
    assert (funnel - before_funnel, cohorts - before_cohorts) == (NEW, NEW)
    with app.extensions["cockpit"].uow(write=False) as tx:
        sales = tx.users.by_username("sales")
        owner = (str(sales.id), str(sales.team_id), "CANTEEN")
    assert {(r["user_id"], r["team_id"], r["business_type"]) for r in ours} == {owner}
    assert all(r["lead_id"] for r in ours), "every registration names the lead the cockpit created"
