"""Drill-down over HTTP: a funnel stage, a cohort cell, a template variant and a cockpit card each link to
the leads grid narrowed to the leads behind the number, and the grid counts exactly the number clicked.

Every number is checked three ways: the page's number, the leads grid's count after following its link,
and a count taken straight from the OLTP leads and activities (the demo history is both). Scopes differ
by role (a manager sees team Nord, a sales user their own leads); viewers get no links and no rows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from data.models import Activity, Customer, Lead, User
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, leads_grid_body, post_callback, sign_in

LABELS = {"registered": "Registered", "t3_sent": "T+3 sent", "replied": "Replied", "converted": "Converted"}
STAGE_OF = {"registered": lambda lead, acts, customer: True,
            "t3_sent": lambda lead, acts, customer: any(a.type == "FOLLOW_UP" and a.details.get("step") == "T3" for a in acts),
            "replied": lambda lead, acts, customer: any(a.type == "REPLY" for a in acts),
            "converted": lambda lead, acts, customer: customer and any(a.type == "CONVERSION" for a in acts)}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("drill"), relay_enabled=False, demo_leads=200) as (live, app):
        app.extensions["analytics_projection"].catch_up()  # the demo start logged the seeded history
        yield live.url, app.extensions["cockpit"].uow.session_factory


@pytest.fixture(scope="module")
def facts(served):
    """Leads (with owner name and team), their activities and who became a customer, straight from OLTP."""
    _url, factory = served
    with factory() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        leads = list(s.scalars(select(Lead)))
        acts: dict[int, list] = {}
        for a in s.scalars(select(Activity)):
            acts.setdefault(a.lead_id, []).append(a)
        customers = set(s.scalars(select(Customer.original_lead_id)))
        s.expunge_all()
    return users, leads, acts, customers


def in_scope(username: str, facts) -> list:
    users, leads, _acts, _customers = facts
    me = users[username]
    if me.role == "manager":
        return [lead for lead in leads if lead.team_id == me.team_id]
    return [lead for lead in leads if lead.owner_id == me.id] if me.role == "sales" else leads


def find(tree, component_id: str):
    """The component with this id in a rendered layout (nested dicts and lists)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        return next((f for v in tree.values() if (f := find(v, component_id)) is not None), None)
    if isinstance(tree, list):
        return next((f for v in tree if (f := find(v, component_id)) is not None), None)
    return None


def page(session, url, path: str, search: str = ""):
    body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", path), ("_pages_location", "search", search)])
    r = post_callback(session, url, body)
    assert r.status_code == 200
    return r.json()["response"]["_pages_content"]["children"]


def analytics_rows(session, url, prefix: str, grid: str, search: str) -> list[dict]:
    body = callback_body([(f"{prefix}-body", "children"), (f"{prefix}-message", "children")], [(f"{prefix}-url", "search", search)])
    response = post_callback(session, url, body).json()["response"]
    return find(response[f"{prefix}-body"]["children"], grid)["props"]["rowData"]


def followed(session, url, href: str) -> tuple[int, set[int], dict]:
    """The leads grid at a drill-down link: its count, the ids it lists, and the page's banner."""
    query = dict(parse_qsl(urlsplit(href).query))
    layout = page(session, url, "/leads", "?" + urlsplit(href).query)
    r = post_callback(session, url, leads_grid_body({"startRow": 0, "endRow": 200}, drill=query))
    grid = r.json()["response"]
    rows = grid["leads-table"]["getRowsResponse"]
    assert grid["leads-total"]["children"] == f"{rows['rowCount']:,} leads"
    return rows["rowCount"], {row["id"] for row in rows["rowData"]}, find(layout, "leads-drill")


@pytest.mark.parametrize("username", ["manager", "sales", "admin"])
@pytest.mark.parametrize("stage", list(STAGE_OF))
def test_a_funnel_stage_opens_exactly_the_leads_behind_its_number(served, facts, username, stage):
    url, _ = served
    s = sign_in(url, username)
    row = {r["stage"]: r for r in analytics_rows(s, url, "funnel", "funnel-stages", "?period=365d")}[LABELS[stage]]
    _users, _leads, acts, customers = facts
    expected = {lead.id for lead in in_scope(username, facts)
                if STAGE_OF[stage](lead, acts.get(lead.id, []), lead.id in customers)}
    assert expected or stage not in ("registered", "t3_sent")  # numbers worth checking
    if not expected:  # nothing behind a 0: no link to follow
        assert row["count"] == 0 and "count__href" not in row
        return
    assert dict(parse_qsl(urlsplit(row["count__href"]).query))["stage"] == stage
    count, ids, banner = followed(s, url, row["count__href"])
    assert count == row["count"] == len(expected) and ids == expected
    assert f"{count:,} leads" in str(banner)


def test_a_cohort_cell_opens_the_leads_of_that_week_and_stage(served, facts):
    url, _ = served
    s = sign_in(url, "manager")
    cohorts = analytics_rows(s, url, "funnel", "funnel-cohorts", "?period=365d")
    week = max(cohorts, key=lambda c: c["t3_sent"])  # a week with follow-ups to count
    monday = datetime.fromisoformat(week["week"]).replace(tzinfo=timezone.utc)
    _users, _leads, acts, customers = facts
    expected = {lead.id for lead in in_scope("manager", facts) if monday <= lead.registered_at < monday + timedelta(days=7)
                and STAGE_OF["t3_sent"](lead, acts.get(lead.id, []), lead.id in customers)}
    count, ids, _banner = followed(s, url, week["t3_sent__href"])
    assert count == week["t3_sent"] == len(expected) > 0 and ids == expected


def test_a_template_variant_opens_the_leads_it_was_sent_to(served, facts):
    url, _ = served
    s = sign_in(url, "analyst")
    variants = analytics_rows(s, url, "tstats", "tstats-variants", "?period=365d")
    row = max(variants, key=lambda r: r["sent"])
    _users, leads, acts, _customers = facts

    def sent_it(a) -> bool:
        d = a.details or {}
        return (a.type == "FOLLOW_UP" and (d.get("template_id") or d.get("template")) == row["template_id"]
                and (d.get("variant") or "A") == row["variant"] and d.get("template_version") == row["version"])
    sends = [a for lead in leads for a in acts.get(lead.id, []) if sent_it(a)]
    count, ids, banner = followed(s, url, row["sent__href"])
    assert count == row["sent"] == len(sends) and ids == {a.lead_id for a in sends}
    assert row["template_id"] in str(banner)


@pytest.mark.parametrize("username", ["manager", "sales"])
def test_a_cockpit_card_opens_the_leads_behind_it(served, facts, username):
    url, _ = served
    s = sign_in(url, username)
    layout = page(s, url, "/", "?period=30d")
    link = find(layout, "kpi-t3")["props"]["children"]
    today = datetime.now(timezone.utc).date()
    first = today - timedelta(days=29)
    _users, _leads, acts, _customers = facts
    sends = [a for lead in in_scope(username, facts) for a in acts.get(lead.id, [])
             if a.type == "FOLLOW_UP" and a.details.get("step") == "T3" and first <= a.occurred_at.date() <= today]
    if isinstance(link, str):  # a zero links nowhere
        assert int(link) == 0 and not sends and username == "sales"
        return
    shown, href = int(link["props"]["children"]), link["props"]["href"]
    count, ids, _banner = followed(s, url, href)
    assert count == shown == len(sends) and ids == {a.lead_id for a in sends}
    assert sends or username == "sales"


def test_viewers_get_no_links_and_no_leads_behind_a_number(served):
    url, _ = served
    viewer, analyst = sign_in(url, "viewer"), sign_in(url, "analyst")
    stages = analytics_rows(viewer, url, "funnel", "funnel-stages", "?period=365d")
    assert stages and not any("count__href" in r for r in stages)
    assert not any(k.endswith("__href") for r in analytics_rows(viewer, url, "funnel", "funnel-cohorts", "?period=365d") for k in r)
    assert "kpi-link" not in str(page(viewer, url, "/", "?period=30d"))
    href = analytics_rows(analyst, url, "funnel", "funnel-stages", "?period=365d")[0]["count__href"]
    assert "can't open individual leads" in str(page(viewer, url, "/leads", "?" + urlsplit(href).query))
    r = post_callback(viewer, url, leads_grid_body(drill=dict(parse_qsl(urlsplit(href).query))))
    assert r.status_code == 200 and r.json()["response"]["leads-table"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}


def test_a_bad_drill_down_link_is_a_message_and_the_grid_shows_every_lead(served, facts):
    url, _ = served
    s = sign_in(url, "manager")
    for search in ("?drill=stage&stage=nowhere", "?drill=cohort&stage=t3_sent&week=someday", "?status=GONE",
                   "?drill=variant&metric=sent&version=1&variant=A", "?drill=stage&stage=t3_sent&team=999", "?x=1"):
        layout = page(s, url, "/leads", search)
        assert "Not applied" in str(find(layout, "leads-message")), search
        assert find(layout, "leads-query")["props"]["data"] == {}
