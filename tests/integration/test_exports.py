"""GET /export/<table>.csv over HTTP: scope by role, refusals, formula neutralising, streaming, logging."""
from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import func, select

from data.models import Lead, User
from tests.conftest import serving_demo_app
from tests.http_helpers import sign_in

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("exports"), relay_enabled=False) as (live, app):
        factory = app.extensions["cockpit"].uow.session_factory
        with factory() as session:  # a lead whose name is a spreadsheet formula, owned by `sales`
            sales = session.scalar(select(User).where(User.username == "sales"))
            now = datetime.now(timezone.utc)
            session.add(Lead(company=FORMULA, contact_name="-2+3", business_type="HOTEL", owner_id=sales.id,
                             team_id=sales.team_id, status="REGISTERED", registered_at=now, updated_at=now))
            session.commit()
        yield live.url, factory


def rows_of(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_sales_users_export_holds_only_their_own_leads(served):
    url, factory = served
    got = rows_of(sign_in(url, "sales").get(f"{url}/export/leads.csv?period=365d"))
    with factory() as session:
        sales = session.scalar(select(User).where(User.username == "sales"))
        own = session.scalar(select(func.count()).select_from(Lead).where(Lead.owner_id == sales.id))
    assert got and {r["owner"] for r in got} == {"sales"}
    assert len(got) == own  # the demo registers everything within the last 90 days


def test_a_managers_export_holds_their_team_only(served):
    url, _ = served
    got = rows_of(sign_in(url, "manager").get(f"{url}/export/leads.csv?period=365d"))
    assert got and {r["team"] for r in got} == {"Nord"}


def test_a_viewer_gets_403_and_anonymous_401(served):
    url, _ = served
    refused = sign_in(url, "viewer").get(f"{url}/export/leads.csv")
    assert refused.status_code == 403 and refused.json()["title"] == "Forbidden"
    assert requests.get(f"{url}/export/funnel.csv").status_code == 401
    assert requests.get(f"{url}/export/funnel.csv", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_formula_cells_are_neutralised(served):
    url, _ = served
    response = sign_in(url, "analyst").get(f"{url}/export/leads.csv?period=7d&sort=company")
    row = next(r for r in rows_of(response) if "HYPERLINK" in r["company"])
    assert row["company"] == "'" + FORMULA and row["contact_name"] == "'-2+3"
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in response.text


@pytest.mark.parametrize("query, parameter", [
    ("sort=password_hash", "sort"), ("business_type=SPACESHIP", "business_type"), ("period=forever", "period"),
    ("team=999", "team"), ("user=abc", "user"), ("order=sideways", "order"), ("colour=red", "colour"),
])
def test_unknown_sort_column_or_filter_value_gets_400(served, query, parameter):
    url, _ = served
    response = sign_in(url, "analyst").get(f"{url}/export/leads.csv?{query}")
    assert response.status_code == 400 and response.json()["parameter"] == parameter


def test_a_manager_cannot_ask_for_another_team(served):
    url, factory = served
    with factory() as session:
        other = session.scalar(select(User.team_id).where(User.username == "sales4"))
    assert sign_in(url, "manager").get(f"{url}/export/leads.csv?team={other}").status_code == 400


def test_unknown_table_is_404_and_every_table_answers_with_a_header(served):
    url, _ = served
    analyst = sign_in(url, "analyst")
    assert analyst.get(f"{url}/export/passwords.csv").status_code == 404
    for table in ("funnel", "cohorts", "steps", "templates", "comparisons", "roi", "roi_steps", "events"):
        response = analyst.get(f"{url}/export/{table}.csv")
        assert response.status_code == 200 and response.text.split("\r\n")[0].count(",") >= 3, table
        assert response.headers["Content-Disposition"] == f'attachment; filename="{table}.csv"'


def test_scripts_export_with_the_bearer_token_streamed_and_logged(served, caplog):
    url, _ = served
    with caplog.at_level(logging.INFO, logger="cockpit.export"):
        response = requests.get(f"{url}/export/leads.csv?period=365d&business_type=HOTEL",
                                headers={"Authorization": "Bearer test-token"})
    got = rows_of(response)
    assert got and {r["business_type"] for r in got} == {"HOTEL"}
    assert "Content-Length" not in response.headers  # streamed, never buffered whole
    line = next(r.getMessage() for r in caplog.records if r.name == "cockpit.export")
    assert "user=api-token" in line and "table=leads" in line and "HOTEL" in line and f"rows={len(got)}" in line
