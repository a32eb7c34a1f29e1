"""The analytics numbers against the OLTP tables, and the pages over HTTP.

A demo start writes the seeded history as CloudEvents into the OLTP log (demo.history), the
analytics projection feeds DuckDB from that log through its public catch_up(), and the funnel and
template exports must equal counts taken straight from leads, activities and customers."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from sqlalchemy import select

from data.models import Activity, Customer, EventRecord, Lead
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in

OPENED, CLICKED = "com.freshplan.email.opened.v1", "com.freshplan.email.clicked.v1"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("analytics"), relay_enabled=False, demo_leads=200) as (live, app):
        factory = app.extensions["cockpit"].uow.session_factory
        app.extensions["analytics_projection"].catch_up()  # the demo start logged the seeded history
        yield live.url, factory


def _csv(session, url: str, table: str, query: str = "period=365d") -> list[dict]:
    response = session.get(f"{url}/export/{table}.csv?{query}")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _oltp_funnel(session, business_type: str | None) -> list[int]:
    leads = [lead for lead in session.scalars(select(Lead)) if business_type in (None, lead.business_type)]
    ids = {lead.id for lead in leads}
    acts = [a for a in session.scalars(select(Activity)) if a.lead_id in ids]
    has = lambda pred: len({a.lead_id for a in acts if pred(a)})  # noqa: E731
    converted = {c.original_lead_id for c in session.scalars(select(Customer))} & ids
    return [len(leads), sum(1 for lead in leads if lead.sample_delivered_at),
            has(lambda a: a.type == "FOLLOW_UP" and a.details.get("step") == "T3"),
            has(lambda a: a.type == "FOLLOW_UP" and a.details.get("step") == "T7"),
            has(lambda a: a.type == "REPLY"), has(lambda a: a.type == "REPLY" and a.outcome == "POSITIVE"),
            len(converted & {a.lead_id for a in acts if a.type == "CONVERSION"})]


@pytest.mark.parametrize("business_type", [None, "HOTEL"])
def test_funnel_numbers_equal_counts_from_the_oltp_tables(served, business_type):
    url, factory = served
    query = "period=365d" + (f"&business_type={business_type}" if business_type else "")
    got = [int(r["count"]) for r in _csv(sign_in(url, "analyst"), url, "funnel", query)]
    with factory() as session:
        expected = _oltp_funnel(session, business_type)
    assert expected[0] > 0 and got == expected


def test_template_sends_equal_follow_up_activities(served):
    url, factory = served
    got = {(r["template_id"], r["variant"]): int(r["sent"]) for r in _csv(sign_in(url, "analyst"), url, "templates")}
    with factory() as session:
        expected = Counter((a.details.get("template"), a.details.get("variant") or "A")
                           for a in session.scalars(select(Activity).where(Activity.type == "FOLLOW_UP")))
    assert got == dict(expected) and sum(got.values()) > 0


def test_template_opens_and_clicks_equal_the_logged_opens_and_clicks(served):
    url, factory = served
    rows = _csv(sign_in(url, "analyst"), url, "templates")
    got = {(r["template_id"], r["variant"]): (int(r["opened"]), int(r["clicked"])) for r in rows}
    with factory() as session:
        logged = session.execute(select(EventRecord.type, EventRecord.data)
                                 .where(EventRecord.type.in_([OPENED, CLICKED]))).all()
    expected = Counter()
    for type_, data in logged:  # a click counts as an open too (the pixel may be blocked)
        key = (data["template"], data.get("variant") or "A")
        opened, clicked = expected.get(key, (0, 0))
        expected[key] = (opened + (type_ == OPENED), clicked + (type_ == CLICKED))
    assert {k: v for k, v in got.items() if v != (0, 0)} == dict(expected) and sum(o for o, _ in got.values()) > 0


@pytest.mark.parametrize("path, page", [("/funnel", "funnel"), ("/templates", "tstats"), ("/roi", "roi")])
def test_each_page_renders_for_an_analyst_and_a_viewer_without_download(served, path, page):
    url, _ = served
    for who, downloads in (("analyst", True), ("viewer", False)):
        s = sign_in(url, who)
        shell = post_callback(s, url, callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                                                    [("_pages_location", "pathname", path), ("_pages_location", "search", "")]))
        assert shell.status_code == 200 and f"{page}-body" in shell.text
        inputs = [(f"{page}-url", "search", "?period=365d")] + ([("roi-assumption-message", "children", None)] if page == "roi" else [])
        body = post_callback(s, url, callback_body([(f"{page}-body", "children"), (f"{page}-message", "children")], inputs))
        assert body.status_code == 200 and ('"download-' in body.text) == downloads, who


def test_a_filter_outside_the_callers_scope_is_a_form_message(served):
    url, _ = served
    body = post_callback(sign_in(url, "manager"), url, callback_body(
        [("funnel-body", "children"), ("funnel-message", "children")], [("funnel-url", "search", "?team=999")]))
    assert body.json()["response"]["funnel-message"]["children"] == "team: team 999 is not among your teams"
