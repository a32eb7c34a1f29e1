"""What a signed-in person sees in a real browser: headless Chromium driving the live app (no mocks).

Dash renders in the browser after the page has loaded and fetches each table through a callback,
so every check waits explicitly for what a person would wait for. The machine is slow, hence the
generous timeouts. Screenshots land in /tmp/e2e-shots for a person to look at.
"""
from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from data.models import Lead, Team, User

# Building the app and starting Chromium alone can take minutes on a loaded machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]

WAIT = 180  # seconds; a Dash page load took up to 90 s on the slowest runs
TOTAL = re.compile(r"^([\d,]+) leads?$")

# One JavaScript round trip reads a grid's rows as AG Grid holds them (dash_ag_grid.getApi): a client-side
# grid's rows in their shown order, a server-side grid's current page (nothing while a block still loads).
READ_TABLE = """
let api;
try { api = window.dash_ag_grid.getApi(arguments[0]); } catch (e) { return []; }
const rows = [];
if (api.getGridOption('rowModelType') !== 'infinite') {
  api.forEachNodeAfterFilterAndSort(node => rows.push(node.data));
  return rows;
}
const page = api.paginationGetCurrentPage(), size = api.paginationGetPageSize();
for (let i = page * size; i < Math.min((page + 1) * size, api.getDisplayedRowCount()); i++) {
  const node = api.getDisplayedRowAtIndex(i);
  if (!node || !node.data) return [];
  rows.push(node.data);
}
return rows;
"""


# --- helpers -------------------------------------------------------------------------------------

def wait(driver, timeout=WAIT):
    """Waits out re-renders (stale elements) and commands that hit chromedriver's page-load limit
    while a slow page is still loading."""
    return WebDriverWait(driver, timeout, poll_frequency=0.5,
                         ignored_exceptions=(StaleElementReferenceException, TimeoutException))


def navigating(action):
    """Run something that loads a page; a page slower than chromedriver's limit is not a failure
    by itself, the waits that follow decide."""
    try:
        action()
    except TimeoutException:
        pass


def sign_in(driver, base_url, username, then="/"):
    """Sign out whoever is signed in, then use the real login form; lands on `then`."""
    if driver.current_url.startswith(base_url):
        driver.delete_all_cookies()
    navigating(lambda: driver.get(f"{base_url}/login?next={quote(then)}"))
    wait(driver).until(EC.element_to_be_clickable((By.ID, "username"))).send_keys(username)
    driver.find_element(By.ID, "password").send_keys("demo")
    navigating(driver.find_element(By.ID, "sign-in").click)
    wait(driver).until(EC.presence_of_element_located((By.ID, "nav")))  # the Dash shell has rendered
    assert driver.current_url.rstrip("/") == f"{base_url}{then}".rstrip("/"), driver.current_url
    label = text_of(driver, By.CSS_SELECTOR, "#nav-user .dropdown-toggle")
    assert label.endswith(f"· {_role_of(username)}"), label


def _role_of(username):
    return re.sub(r"\d+$", "", username)


def table_rows(driver, table_id):
    return driver.execute_script(READ_TABLE, table_id)


def wait_for_rows(driver, table_id):
    return wait(driver).until(lambda d: table_rows(d, table_id) or False)


def leads_total(driver):
    text = driver.find_element(By.ID, "leads-total").text.strip()
    match = TOTAL.match(text)
    return int(match.group(1).replace(",", "")) if match else None


def wait_for_total(driver, differs_from=None):
    """The 'N leads' label once it shows a number (and, if given, a number other than `differs_from`)."""
    def ready(d):
        n = leads_total(d)
        return n if n is not None and n != differs_from else False
    return wait(driver).until(ready)


def text_of(driver, by, selector):
    """The element's visible text once it shows some; re-finds it if Dash re-renders it meanwhile."""
    return wait(driver).until(lambda d: d.find_element(by, selector).text.strip() or False)


def click(driver, by, selector):
    """Click once the element is there; a click that loads a page may raise TimeoutException (see
    `navigating`) and must not be repeated, so only stale elements are retried."""
    WebDriverWait(driver, WAIT, poll_frequency=0.5, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(by, selector).click() or True)


def page_title(driver):
    return text_of(driver, By.CSS_SELECTOR, "#_pages_content h1")


def nav_labels(driver):
    """Every page link in the navbar, those inside a closed dropdown too (hence textContent)."""
    return [label.strip() for label in driver.execute_script(
        "return Array.from(document.querySelectorAll('#nav .navbar-nav .nav-link, #nav .navbar-nav .dropdown-item'),"
        " a => a.textContent);")]


def shoot(driver, shots_dir, name):
    """A screenshot of the whole page, not only the window, through the DevTools protocol."""
    path = shots_dir / f"{name}.png"
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


# --- facts from the database, to compare the screen against ----------------------------------

@pytest.fixture(scope="module")
def people(session_factory):
    """Display names by team, the sales user's name, and lead counts per scope."""
    with session_factory() as s:
        by_team = {}
        for name, team in s.execute(select(User.display_name, Team.name).join(Team, User.team_id == Team.id)):
            by_team.setdefault(team, set()).add(name)
        sales = s.scalar(select(User).where(User.username == "sales"))
        nord_id = s.scalar(select(Team.id).where(Team.name == "Nord"))
        nord_leads = s.execute(select(Lead.company, Lead.contact_name, Lead.email, Lead.city)
                               .where(Lead.team_id == nord_id)).all()
        sales_total = s.scalar(select(func.count()).select_from(Lead).where(Lead.owner_id == sales.id))
    return {"nord": by_team["Nord"], "sud": by_team["Süd"], "sales_name": sales.display_name,
            "nord_leads": nord_leads, "sales_total": sales_total}


# --- manager --------------------------------------------------------------------------------------

def test_manager_cockpit_shows_team_kpis_and_only_nord_members(browser, base_url, people, shots_dir):
    sign_in(browser, base_url, "manager", "/")

    assert page_title(browser) == "Team Nord"
    for key in ("t3", "t7", "sent", "conversion"):
        value = text_of(browser, By.ID, f"kpi-{key}")
        assert value.isdigit(), f"KPI {key} shows {value!r}"
    text_of(browser, By.XPATH, "//*[contains(@class,'card-header')][normalize-space()='Team members · 7 days']")
    members = {row["name"] for row in wait_for_rows(browser, "cockpit-members")}
    assert members <= people["nord"], f"not in team Nord: {members - people['nord']}"
    assert not members & people["sud"], f"team Süd shows up: {members & people['sud']}"
    assert people["sales_name"] in members

    links = nav_labels(browser)
    assert "Cockpit" in links and "Leads" in links
    assert "Users & teams" not in links and "Users & teams" not in text_of(browser, By.ID, "nav")

    # the status chart loads its plotting library lazily: wait for its bars so the screenshot is complete
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#cockpit-status-chart .main-svg .bars path")))
    shoot(browser, shots_dir, "manager-cockpit")


def test_manager_leads_show_only_the_team_and_search_narrows_them(browser, base_url, people, shots_dir):
    sign_in(browser, base_url, "manager", "/leads")

    total = wait_for_total(browser)
    assert total == len(people["nord_leads"])
    rows = wait_for_rows(browser, "leads-table")
    assert 0 < len(rows) <= total
    owners = {row["owner"] for row in rows}
    assert owners <= people["nord"], f"owners outside team Nord: {owners - people['nord']}"
    assert all(row["company"] and row["company__href"].startswith("/leads/") for row in rows)
    shoot(browser, shots_dir, "manager-leads")

    term = rows[0]["city"]
    assert term, "the first lead has no city to search for"
    expected = sum(1 for lead in people["nord_leads"] if any(term.casefold() in (v or "").casefold() for v in lead))
    box = wait(browser).until(EC.element_to_be_clickable((By.ID, "leads-search")))
    box.send_keys(term, Keys.ENTER)

    narrowed = wait_for_total(browser, differs_from=total)
    assert 0 < narrowed < total
    assert narrowed == expected, f"searching {term!r}: the page says {narrowed}, the data holds {expected}"
    found = wait(browser).until(lambda d: (r := table_rows(d, "leads-table")) and len(r) == min(narrowed, 25) and r)
    for row in found:
        visible = " ".join((row["company"], row["contact_name"], row["city"])).casefold()
        assert term.casefold() in visible, f"{row['company']} does not match {term!r}"
        assert row["owner"] in people["nord"]


def test_lead_detail_opens_from_the_company_link(browser, base_url, shots_dir):
    sign_in(browser, base_url, "manager", "/leads")
    wait_for_total(browser)
    first = wait_for_rows(browser, "leads-table")[0]

    navigating(lambda: click(browser, By.CSS_SELECTOR, "#leads-table .ag-row[row-index='0'] .ag-cell[col-id='company'] a"))

    status = text_of(browser, By.ID, "lead-status")
    assert browser.current_url == base_url + first["company__href"]
    assert status == first["status"]
    assert page_title(browser) == first["company"]
    history = text_of(browser, By.XPATH, "//*[contains(@class,'card-header')][starts-with(normalize-space(), 'Activity history')]")
    count = int(re.search(r"\((\d+)\)", history).group(1))
    if count:
        assert wait(browser).until(EC.visibility_of_element_located((By.ID, "lead-timeline")))
        assert len(browser.find_elements(By.CSS_SELECTOR, "#lead-timeline .timeline-item")) == count
    else:
        assert text_of(browser, By.CSS_SELECTOR, ".empty-state h2") == "No activity yet"
    shoot(browser, shots_dir, "lead-detail")


# --- sales ----------------------------------------------------------------------------------------

def test_sales_sees_only_own_follow_ups_and_leads(browser, base_url, people):
    sign_in(browser, base_url, "sales", "/")

    assert page_title(browser) == "My follow-ups"
    assert text_of(browser, By.ID, "kpi-t3").isdigit()
    assert not browser.find_elements(By.ID, "cockpit-members")
    assert "Team members" not in text_of(browser, By.ID, "cockpit-body")
    assert "Users & teams" not in nav_labels(browser)

    click(browser, By.ID, "nav-leads")  # in-app navigation, no reload
    total = wait_for_total(browser)
    assert total == people["sales_total"]
    assert total < len(people["nord_leads"]), "a sales user should see fewer leads than the team manager"
    rows = wait_for_rows(browser, "leads-table")
    assert {row["owner"] for row in rows} == {people["sales_name"]}
    # a sales user has no owner filter: the dropdown stays hidden
    assert wait(browser).until(lambda d: not d.find_element(By.ID, "leads-owner").is_displayed())


# --- admin ----------------------------------------------------------------------------------------

def test_admin_sees_the_users_table(browser, base_url, shots_dir):
    sign_in(browser, base_url, "admin", "/admin/users")

    assert page_title(browser) == "Users & teams"
    rows = wait_for_rows(browser, "users-table")
    usernames = {row["username"] for row in rows}
    assert {"sales2", "manager", "admin"} <= usernames
    sales2 = next(row for row in rows if row["username"] == "sales2")
    assert (sales2["role"], sales2["team"], sales2["active"]) == ("sales", "Nord", "active")
    assert "Users & teams" in nav_labels(browser)
    shoot(browser, shots_dir, "admin-users")
