"""The leads grid sorts by the column the user clicked and filters by the columns that have a filter, on
the server, for every column it shows: each order and each count is checked against the database."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from components.leads_table import COLUMNS
from data.lead_grid import LEAD_SORT_COLUMNS
from data.models import Lead, User
from services.leads import LEAD_COLUMNS
from tests.conftest import serving_demo_app
from tests.http_helpers import leads_grid_body, post_callback, sign_in

FOLLOWUP_ORDER = ["awaiting T+3", "T+3 sent", "T+7 sent", "closed"]


@pytest.fixture(scope="module")
def admin(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("leads-sorting"), demo_leads=120, relay_enabled=False) as (live, app):
        yield sign_in(live.url, "admin"), live.url, app.extensions["cockpit"].uow.session_factory


def grid(admin, sort=(), filters=None, start: int = 0, end: int = 100) -> tuple[list[dict], str]:
    session, url, _ = admin
    request = {"startRow": start, "endRow": end, "sortModel": [{"colId": c, "sort": d} for c, d in sort],
               "filterModel": filters or {}}
    r = post_callback(session, url, leads_grid_body(request))
    assert r.status_code == 200, r.text
    response = r.json()["response"]
    return response["leads-table"]["getRowsResponse"]["rowData"], response["leads-table"]["getRowsResponse"]["rowCount"]


def test_every_column_of_the_grid_is_a_sort_key_of_the_server():
    shown = {c["field"] for c in COLUMNS}
    assert shown <= set(LEAD_SORT_COLUMNS) and shown <= LEAD_COLUMNS.sortable
    assert {c["field"] for c in COLUMNS if c.get("filter")} == set(LEAD_COLUMNS.filterable)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorting_by_contact_gives_contact_order(admin, direction):
    contacts = [row["contact_name"] for row in grid(admin, [("contact_name", direction)])[0]]
    assert len(set(contacts)) > 10 and contacts == sorted(contacts, reverse=direction == "desc")


def test_sorting_by_followup_gives_the_sequence_order(admin):
    ranks = [FOLLOWUP_ORDER.index(row["followup"]) for row in grid(admin, [("followup", "asc")])[0]]
    assert len(set(ranks)) > 1 and ranks == sorted(ranks)


def test_sorting_by_owner_sorts_by_the_name_shown(admin):
    owners = [row["owner"] for row in grid(admin, [("owner", "desc")], end=120)[0]]
    assert len(set(owners)) > 1 and owners == sorted(owners, reverse=True)


def test_pages_follow_each_other_in_the_asked_order(admin):
    whole, total = grid(admin, [("score", "asc")], end=120)
    pages = grid(admin, [("score", "asc")], end=25)[0] + grid(admin, [("score", "asc")], start=25, end=50)[0]
    assert total == 120 and [r["id"] for r in pages] == [r["id"] for r in whole[:50]]


def test_column_filters_narrow_the_rows_and_the_count(admin):
    _, _, factory = admin
    with factory() as s:
        leads = s.execute(select(Lead.id, Lead.city, Lead.score, Lead.registered_at)).all()
    city = leads[0].city
    rows, total = grid(admin, filters={"city": {"filterType": "text", "type": "contains", "filter": city[1:4].upper()},
                                       "score": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 50}})
    expected = {r.id for r in leads if city[1:4].casefold() in (r.city or "").casefold() and r.score >= 50}
    assert total == len(expected) and {r["id"] for r in rows} == expected
    day = leads[0].registered_at.date().isoformat()
    rows, total = grid(admin, filters={"registered_at": {"filterType": "date", "type": "equals", "dateFrom": f"{day} 00:00:00"}})
    assert total == sum(1 for r in leads if r.registered_at.date().isoformat() == day) and total >= 1
    assert all(r["registered_at"].startswith(day) for r in rows)


def test_the_owner_filter_and_the_grid_agree_with_the_database(admin):
    _, _, factory = admin
    with factory() as s:
        owner = s.scalar(select(User).where(User.username == "sales"))
        expected = set(s.scalars(select(Lead.id).where(Lead.owner_id == owner.id)))
    session, url, _ = admin
    r = post_callback(session, url, leads_grid_body({"startRow": 0, "endRow": 200}, owner=owner.id)).json()["response"]
    assert {row["id"] for row in r["leads-table"]["getRowsResponse"]["rowData"]} == expected
    assert r["leads-total"]["children"] == f"{len(expected):,} leads"
