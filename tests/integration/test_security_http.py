"""Sign-in, CSRF, cookies and scope, checked on the real server over HTTP."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from data.models import Lead, Team, User
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, leads_grid_body, post_callback, sign_in

def leads_body(owner=None, page_size=100):
    return leads_grid_body({"startRow": 0, "endRow": page_size, "sortModel": [{"colId": "company", "sort": "asc"}]},
                           owner=owner)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("sec")) as served:
        yield served


@pytest.fixture(scope="module")
def url(server):
    return server[0].url


@pytest.fixture(scope="module")
def db(server):
    return server[1].extensions["cockpit"].uow.session_factory


@pytest.mark.parametrize("path", ["/", "/leads", "/leads/1", "/admin/users", "/account/password", "/nowhere"])
def test_anonymous_page_requests_go_to_login(url, path):
    r = requests.get(url + path, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("method,path", [("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
                                         ("POST", "/_dash-update-component"), ("GET", "/api/events"),
                                         ("POST", "/leads")])
def test_anonymous_api_and_callback_requests_get_401_problem(url, method, path):
    body = leads_body() if path == "/_dash-update-component" else None
    r = requests.request(method, url + path, json=body, allow_redirects=False)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("application/problem+json") and r.json()["status"] == 401


def test_health_is_public_and_reports_both_stores(url):
    body = requests.get(url + "/healthz").json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["analytics"]["ok"]


def test_login_form_without_csrf_token_is_rejected_while_callbacks_work(url):
    r = requests.post(url + "/login", data={"username": "manager", "password": "demo"}, allow_redirects=False)
    assert r.status_code == 400
    s = sign_in(url, "manager")
    r = post_callback(s, url, leads_body())
    assert r.status_code == 200 and r.json()["response"]["leads-table"]["getRowsResponse"]["rowData"]


def test_wrong_password_is_refused_with_a_message(url):
    from tests.http_helpers import CSRF
    s = requests.Session()
    token = CSRF.search(s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"username": "manager", "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "wrong password" in r.text


def test_session_cookie_flags(url):
    s = requests.Session()
    s.get(url + "/login")
    cookie = next(c for c in s.cookies if c.name == "cockpit_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    raw = requests.get(url + "/login").headers["Set-Cookie"]
    assert "HttpOnly" in raw and "SameSite=Lax" in raw and "Secure" not in raw


def test_login_redirect_never_leaves_the_site(url):
    from tests.http_helpers import CSRF
    s = requests.Session()
    token = CSRF.search(s.get(url + "/login").text).group(1)
    r = s.post(url + "/login?next=//evil.example/x", data={"username": "sales", "password": "demo", "csrf_token": token},
               allow_redirects=False)
    assert r.headers["Location"] == "/"


def test_logged_out_cookie_no_longer_works(url):
    s = sign_in(url, "manager")
    stolen = dict(s.cookies)
    assert post_callback(s, url, leads_body()).status_code == 200
    from tests.http_helpers import CSRF
    s.post(url + "/logout", data={"csrf_token": CSRF.search(s.get(url + "/logout").text).group(1)})
    replay = requests.Session()
    replay.cookies.update(stolen)
    assert post_callback(replay, url, leads_body()).status_code == 401
    assert replay.get(url + "/leads", allow_redirects=False).status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(url):
    from tests.http_helpers import CSRF
    here, elsewhere = sign_in(url, "sales2"), sign_in(url, "sales2")
    token = CSRF.search(here.get(url + "/account/password").text).group(1)
    r = here.post(url + "/account/password", data={"current": "demo", "new": "s3cret!", "confirm": "s3cret!",
                                                    "csrf_token": token})
    assert r.status_code == 200 and "1 other session(s) signed out" in r.text
    assert post_callback(elsewhere, url, leads_body()).status_code == 401
    assert post_callback(here, url, leads_body()).status_code == 200
    sign_in(url, "sales2", "s3cret!")


def _owner_ids(db, team_name):
    with db() as s:
        team = s.scalar(select(Team).where(Team.name == team_name))
        return team.id, [u.id for u in s.scalars(select(User).where(User.team_id == team.id))]


def test_sales_user_replaying_managers_callback_with_foreign_ids_gets_only_own_leads(url, db):
    other_team, other_users = _owner_ids(db, "Süd")
    with db() as s:
        sales = s.scalar(select(User).where(User.username == "sales"))
        own = {lead.company for lead in s.scalars(select(Lead).where(Lead.owner_id == sales.id))}
    s = sign_in(url, "sales")
    for owner in other_users:
        response = post_callback(s, url, leads_body(owner=owner)).json()["response"]
        rows = response["leads-table"]["getRowsResponse"]["rowData"]
        assert rows and all(r["company"] in own for r in rows)
    body = callback_body([("cockpit-body", "children"), ("cockpit-title", "children")],
                         [("cockpit-team", "value", other_team), ("cockpit-period", "value", "30d"),
                          ("cockpit-live-snapshot", "data", None), ("cockpit-refresh", "n_intervals", None)],
                         [("cockpit-view", "data", {"team": other_team, "member": other_users[0]})])
    r = post_callback(s, url, body)
    assert r.status_code in (200, 204)
    assert "Team Süd" not in r.text


def test_manager_cannot_see_another_teams_lead_detail(url, db):
    _team, other_users = _owner_ids(db, "Süd")
    with db() as s:
        foreign = s.scalar(select(Lead).where(Lead.owner_id.in_(other_users)).limit(1))
    s = sign_in(url, "manager")
    layout_body = callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                                [("_pages_location", "pathname", f"/leads/{foreign.id}"), ("_pages_location", "search", "")])
    r = post_callback(s, url, layout_body)
    assert r.status_code == 200 and "Lead not found" in r.text and foreign.company not in r.text


def test_admin_callbacks_are_refused_to_other_roles(url, db):
    s = sign_in(url, "manager")
    body = callback_body([("users-table", "rowData"), ("teams-list", "children"), ("users-message", "children")],
                         [("users-create", "n_clicks", 1), ("users-save", "n_clicks", None),
                          ("teams-create", "n_clicks", None)],
                         [("users-new-username", "value", "intruder"), ("users-new-name", "value", "X"),
                          ("users-new-role", "value", "admin"), ("users-new-team", "value", None),
                          ("users-new-password", "value", "pass1234"), ("users-edit-user", "value", None),
                          ("users-edit-role", "value", None), ("users-edit-team", "value", None),
                          ("users-edit-active", "value", None), ("teams-new-name", "value", None)])
    r = post_callback(s, url, body)
    assert r.status_code == 200 and "can't open user administration" in r.text
    with db() as session:
        assert session.scalar(select(User).where(User.username == "intruder")) is None


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/no-such.js", "/_dash-component-suites/nosuchpkg/x.js",
                                  "/_dash-component-suites/dash/dcc/nope.v1_0_0m1.js"])
def test_an_unknown_script_path_is_404_not_500(url, path):
    r = requests.get(url + path)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")
