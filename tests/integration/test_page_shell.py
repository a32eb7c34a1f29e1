"""The shell around every page, over HTTP as a browser gets it: the server-rendered pages (password,
sign-out) carry the Dash pages' navbar with the same entries and no script; the cockpit names its
scope once; its status chart shows each bar's value; and every data area of every Dash page sits
in a dcc.Loading (components.shell.data_area), the controls outside it."""
from __future__ import annotations

import json
import re

import dash
import pytest
from sqlalchemy import func, select

from components.layout import allowed_pages
from components.shell import nav_entries
from data.models import Lead, User
from domain.roles import Actor, Role
from tests.conftest import serving_demo_app
from tests.http_helpers import callback_body, post_callback, sign_in

ROLES = ("admin", "manager", "sales", "analyst", "viewer")
NAV_LINK = re.compile(r'<a class="(?:nav-link|dropdown-item)" id="nav-(\w+)" href="([^"]+)"')
# Properties a callback fills with rows or figures; a Store or Download holds data nobody looks at.
DATA_PROPERTIES = {"data", "rowData", "getRowsResponse", "figure"}
UNSEEN = {"Store", "Download", "Location"}
CONTROLS = {"Dropdown", "RadioItems", "Input", "Button", "Textarea", "Checklist"}
# Areas a callback fills with rows, a chart or a timeline as children (messages and labels are not).
DATA_CHILDREN = {"cockpit-body", "cockpit-status", "funnel-body", "tstats-body", "roi-body", "lead-followups",
                 "teams-list", "parked-list", "ops-recent", "templates-issues", "rules-dry-result"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serving_demo_app(tmp_path_factory.mktemp("page-shell"), demo_leads=80, relay_enabled=False) as (live, app):
        with app.extensions["cockpit"].uow.session_factory() as s:
            users = {u.username: Actor(u.id, u.username, Role(u.role), u.team_id) for u in s.scalars(select(User))}
            statuses = dict(s.execute(select(Lead.status, func.count()).group_by(Lead.status)).all())
            lead_id = s.scalar(select(func.min(Lead.id)))
        yield live.url, users, statuses, lead_id


def render_page(session, url: str, path: str, search: str = "") -> dict:
    r = post_callback(session, url, callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                                                  [("_pages_location", "pathname", path),
                                                   ("_pages_location", "search", search)]))
    assert r.status_code == 200, r.text
    return r.json()["response"]["_pages_content"]["children"]


def components(node, inside_loading: bool = False):
    """(component, whether a dcc.Loading encloses it) for every component of a rendered layout."""
    if isinstance(node, dict) and "type" in node and "props" in node:
        inside = inside_loading or node["type"] == "Loading"
        yield node, inside
        for value in node["props"].values():
            yield from components(value, inside)
    elif isinstance(node, list):
        for item in node:
            yield from components(item, inside_loading)


@pytest.mark.parametrize("username", ROLES)
def test_the_server_rendered_pages_carry_the_same_navbar_without_a_script(served, username):
    url, users, _statuses, _lead = served
    session = sign_in(url, username)
    expected = {(key, path) for kind, entry in nav_entries(allowed_pages(users[username]))
                for path, _label, key in ([entry] if kind == "link" else entry[1])}
    for path in ("/account/password", "/logout"):
        page = session.get(f"{url}{path}")
        assert page.status_code == 200 and 'id="nav"' in page.text
        assert set(NAV_LINK.findall(page.text)) == expected, path
        assert f"· {username.rstrip('0123456789')}</summary>" in page.text  # the user menu names the role
        assert 'id="nav-logout"' in page.text and "<script" not in page.text


def test_the_sign_in_page_has_no_navbar(served):
    url = served[0]
    assert 'id="nav"' not in sign_in(url, "admin").get(f"{url}/login").text


def test_all_teams_is_named_once_and_the_heading_follows_the_team_picker(served):
    url = served[0]
    admin = sign_in(url, "admin")
    page = render_page(admin, url, "/")
    assert json.dumps(page).count("All teams") == 1
    title = next(c for c, _ in components(page) if c["props"].get("id") == "cockpit-title")
    assert title["props"]["children"] == "All teams"
    teams = next(c for c, _ in components(page) if c["props"].get("id") == "cockpit-team")["props"]["options"]
    body = callback_body([("cockpit-body", "children"), ("cockpit-title", "children")],
                         [("cockpit-team", "value", teams[0]["value"]), ("cockpit-period", "value", "7d"),
                          ("cockpit-live-snapshot", "data", None), ("cockpit-refresh", "n_intervals", None)],
                         [("cockpit-view", "data", {"team": None, "member": None})])
    answer = post_callback(admin, url, body).json()["response"]
    assert answer["cockpit-title"]["children"] == f"Team {teams[0]['label']}"
    assert "All teams" not in json.dumps(answer)


def test_the_status_chart_shows_each_bars_count(served):
    url, _users, statuses, _lead = served
    page = render_page(sign_in(url, "admin"), url, "/")
    chart = next(c for c, _ in components(page) if c["props"].get("id") == "cockpit-status-chart")
    [bars] = chart["props"]["figure"]["data"]
    assert dict(zip(bars["x"], bars["text"])) == statuses and bars["text"] == bars["y"]


# Every page, "{lead}" standing for a lead id; a test below keeps this list complete.
PAGES = ("/", "/leads", "/leads/{lead}", "/followups", "/conversions", "/tasks", "/funnel", "/templates", "/roi",
         "/admin/users", "/admin/templates", "/admin/rules", "/admin/events", "/admin/operations")
def test_the_list_of_pages_is_complete(served):
    registered = {page.get("path_template") or page["path"] for page in dash.page_registry.values()}
    assert registered - {"/404"} == {p.replace("{lead}", "<lead_id>") for p in PAGES}


def data_outputs(session, url: str) -> set[tuple[str, str]]:
    """(component id, property) of every callback output, from the renderer's own list."""
    found = set()
    for cb in session.get(f"{url}/_dash-dependencies").json():
        for output in cb["output"].strip(".").split("..."):
            component, _, prop = output.rpartition(".")
            found.add((component, prop.split("@")[0]))
    return found


@pytest.mark.parametrize("path", PAGES)
def test_every_data_area_shows_a_spinner_while_it_loads_and_no_control_does(served, path):
    url, _users, _statuses, lead_id = served
    admin = sign_in(url, "admin")
    rendered = {c["props"]["id"]: (c["type"], inside)
                for c, inside in components(render_page(admin, url, path.replace("{lead}", str(lead_id))))
                if isinstance(c["props"].get("id"), str)}
    unwrapped = []
    for component, prop in sorted(data_outputs(admin, url)):
        kind, inside = rendered.get(component, (None, None))
        is_data = (prop in DATA_PROPERTIES and kind not in UNSEEN) or (prop == "children" and component in DATA_CHILDREN)
        if kind is not None and is_data and not inside:
            unwrapped.append(f"{component}.{prop}")
    assert not unwrapped, f"wrap these in components.shell.data_area: {unwrapped}"
    controls = [cid for cid, (kind, inside) in rendered.items() if inside and kind in CONTROLS]
    assert not controls, f"keep controls outside the spinner: {controls}"


def csv_buttons_wired(url: str) -> bool:
    return any("grid-csv" in component and prop == "title" for component, prop in data_outputs(sign_in(url, "admin"), url))


def test_every_app_in_one_process_wires_the_grids_download_csv_buttons(served, tmp_path):
    """The served app is not the process's first in a whole run, and the one built here never is: a
    callback registered once per process at import would reach only the first app built."""
    assert csv_buttons_wired(served[0])
    with serving_demo_app(tmp_path, demo_leads=10, relay_enabled=False) as (live, _app):
        assert csv_buttons_wired(live.url)
