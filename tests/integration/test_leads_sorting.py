"""The leads table sorts by the column the user clicked, on the server, for every column it shows."""
from __future__ import annotations

import pytest

from components.leads_table import COLUMNS
from data.repositories import LEAD_SORT_COLUMNS
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in

OUTPUTS = [("leads-table", "data"), ("leads-table", "page_count"), ("leads-total", "children")]
INPUTS = [("leads-search", "value"), ("leads-status", "value"), ("leads-type", "value"), ("leads-owner", "value"),
          ("leads-table", "page_current"), ("leads-table", "page_size"), ("leads-table", "sort_by")]
FOLLOWUP_ORDER = ["awaiting T+3", "T+3 sent", "T+7 sent", "closed"]


@pytest.fixture(scope="module")
def admin(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("leads-sorting"), demo_leads=120, relay_enabled=False) as (live, _app):
        yield sign_in(live.url, "admin"), live.url


def sorted_rows(admin, column: str, direction: str = "asc") -> list[dict]:
    session, url = admin
    values = ["", None, None, None, 0, 100, [{"column_id": column, "direction": direction}]]
    r = post_callback(session, url, callback_body(OUTPUTS, [(i, p, v) for (i, p), v in zip(INPUTS, values)]))
    assert r.status_code == 200, r.text
    return r.json()["response"]["leads-table"]["data"]


def test_every_column_of_the_table_is_a_sort_key_of_the_server():
    assert {column for column, _name in COLUMNS} <= set(LEAD_SORT_COLUMNS)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorting_by_contact_gives_contact_order(admin, direction):
    contacts = [row["contact_name"] for row in sorted_rows(admin, "contact_name", direction)]
    assert len(set(contacts)) > 10 and contacts == sorted(contacts, reverse=direction == "desc")


def test_sorting_by_followup_gives_the_sequence_order(admin):
    ranks = [FOLLOWUP_ORDER.index(row["followup"]) for row in sorted_rows(admin, "followup")]
    assert len(set(ranks)) > 1 and ranks == sorted(ranks)
