"""Viewers read aggregates, never one salesperson's numbers: the same rule on the stream, the
cockpit page and its callback, the analytics pages and the exports; the other roles keep their drill-down."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import Team, User
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in
from tests.integration.test_stream import Stream


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("viewer-scope"), demo_leads=80, relay_enabled=False,
                          sse_heartbeat_s=0.3) as (live, app):
        with app.extensions["cockpit"].uow.session_factory() as s:
            sales = s.scalar(select(User).where(User.username == "sales"))
            sales2 = s.scalar(select(User).where(User.username == "sales2"))
            nord = s.scalar(select(Team).where(Team.name == "Nord"))
            ids = {"sales": sales.id, "sales2": sales2.id, "nord": nord.id, "sales_name": sales.display_name}
        yield live.url, ids


def first_snapshot(session, url: str, **params) -> dict:
    stream = Stream(session, url, period="30d", **params)
    try:
        assert stream.response.status_code == 200, stream.response.text
        return stream.next(timeout=10)
    finally:
        stream.close()


@pytest.mark.parametrize("username, sees_member", [
    ("viewer", False), ("analyst", True), ("admin", True), ("manager", True), ("sales2", False),
])
def test_a_member_drill_down_on_the_stream_by_role(served, username, sees_member):
    url, ids = served
    session = sign_in(url, username)
    snapshot = first_snapshot(session, url, member=str(ids["sales"]))
    if sees_member:
        assert snapshot["member_id"] == ids["sales"] and snapshot["title"] == ids["sales_name"]
    elif username == "sales2":
        assert snapshot["member_id"] == ids["sales2"]  # only themselves
    else:
        assert snapshot["member_id"] is None and snapshot["title"] == "All teams"


def test_a_viewers_member_drill_down_on_the_stream_is_the_aggregate_asked_for(served):
    url, ids = served
    viewer = sign_in(url, "viewer")
    overall, team = first_snapshot(viewer, url), first_snapshot(viewer, url, team=str(ids["nord"]))
    drilled = first_snapshot(viewer, url, member=str(ids["sales"]))
    drilled_in_team = first_snapshot(viewer, url, team=str(ids["nord"]), member=str(ids["sales"]))
    assert drilled["metrics"] == overall["metrics"] and drilled["member_id"] is None
    assert drilled_in_team["metrics"] == team["metrics"] and drilled_in_team["title"] == "Team Nord"
    assert not drilled["members"] and not drilled["recent"]


def cockpit_callback(session, url: str, team, view: dict):
    body = callback_body([("cockpit-body", "children"), ("cockpit-title", "children")],
                         [("cockpit-team", "value", team), ("cockpit-period", "value", "30d"),
                          ("cockpit-live-snapshot", "data", None), ("cockpit-refresh", "n_intervals", None)],
                         [("cockpit-view", "data", view)])
    r = post_callback(session, url, body)
    assert r.status_code == 200, r.text
    return r.json()["response"]["cockpit-body"]["children"]


def test_a_viewers_member_drill_down_in_the_cockpit_callback_and_page_is_the_aggregate(served):
    url, ids = served
    viewer = sign_in(url, "viewer")
    aggregate = cockpit_callback(viewer, url, None, {"team": None, "member": None})
    drilled = cockpit_callback(viewer, url, None, {"team": None, "member": ids["sales"]})
    assert drilled == aggregate and ids["sales_name"] not in str(drilled)
    page = post_callback(viewer, url, callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                                                    [("_pages_location", "pathname", "/"),
                                                     ("_pages_location", "search", f"?user={ids['sales']}")]))
    assert page.status_code == 200 and "All teams" in page.text and ids["sales_name"] not in page.text


def test_a_viewer_cannot_filter_the_analytics_by_person(served):
    url, ids = served
    viewer = sign_in(url, "viewer")
    body = post_callback(viewer, url, callback_body([("funnel-body", "children"), ("funnel-message", "children")],
                                                    [("funnel-url", "search", f"?period=365d&user={ids['sales']}")]))
    assert body.status_code == 200
    assert body.json()["response"]["funnel-message"]["children"] == f"user: user {ids['sales']} is not among your users"


@pytest.mark.parametrize("table", ["leads", "events", "funnel", "roi"])
def test_a_viewers_member_export_is_refused(served, table):
    url, ids = served
    r = sign_in(url, "viewer").get(f"{url}/export/{table}.csv?user={ids['sales']}")
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["detail"] == "Your role (viewer) can't download exports. Ask an admin if you need access."


def test_an_analyst_still_filters_the_analytics_by_person(served):
    url, ids = served
    r = sign_in(url, "analyst").get(f"{url}/export/funnel.csv?period=365d&user={ids['sales']}")
    assert r.status_code == 200 and r.text.startswith("stage")
