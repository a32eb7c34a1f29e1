"""The AG Grid tables in a real browser (headless Chromium, real clicks, the app's strict CSP): the leads
grid pages and sorts on the server, a funnel stage opens the leads behind its number, and a manager
converts a lead from its row on the Conversions page. Every number on screen is compared with a count
taken from the database or the analytics store independently."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from data.conversion_models import ConversionDecision
from data.models import Activity, Customer, Lead, Team, User
from tests.e2e.conftest import scroll_click

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]
WAIT = 180  # seconds; the machine is slow and shared

# The rows of the grid's current page as the grid holds them (null while a block is still loading).
READ_PAGE = """
const api = window.dash_ag_grid.getApi(arguments[0]);
const page = api.paginationGetCurrentPage(), size = api.paginationGetPageSize();
const last = Math.min((page + 1) * size, api.getDisplayedRowCount());
const rows = [];
for (let i = page * size; i < last; i++) {
  const node = api.getDisplayedRowAtIndex(i);
  if (!node || !node.data) return null;
  rows.push(node.data);
}
return {page: page, rows: rows};
"""
READ_ALL = "return (() => { const rows = []; window.dash_ag_grid.getApi(arguments[0])" \
           ".forEachNodeAfterFilterAndSort(n => rows.push(n.data)); return rows; })();"


def wait(driver, seconds: float = WAIT):
    return WebDriverWait(driver, seconds, poll_frequency=0.3,
                         ignored_exceptions=(StaleElementReferenceException, TimeoutException))


def load(driver, url):
    try:
        driver.get(url)
    except TimeoutException:
        pass  # a page slower than chromedriver's limit: the waits that follow decide


def sign_in(driver, base_url, username, then):
    driver.delete_all_cookies()
    load(driver, f"{base_url}/login?next={quote(then)}")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "username"))).send_keys(username)
    driver.find_element(By.ID, "password").send_keys("demo")
    try:
        driver.find_element(By.ID, "sign-in").click()
    except TimeoutException:
        pass
    wait(driver).until(EC.presence_of_element_located((By.ID, "nav")))


def page_rows(driver, grid_id: str, page: int | None = None):
    """The rows of the grid's page once they are loaded (and it is on `page`, if given)."""
    def ready(d):
        try:
            got = d.execute_script(READ_PAGE, grid_id)
        except Exception:  # the grid is not drawn yet
            return False
        return got["rows"] if got and got["rows"] and (page is None or got["page"] == page) else False
    return wait(driver).until(ready)


def all_rows(driver, grid_id: str) -> list[dict] | bool:
    """Every row of a client-side grid in its shown order (False until the grid is drawn)."""
    try:
        return driver.execute_script(READ_ALL, grid_id) or False
    except Exception:  # the grid is not drawn yet
        return False


def click(driver, css: str):
    scroll_click(driver, By.CSS_SELECTOR, css, WAIT)


def total(driver, element_id: str) -> int:
    text = wait(driver).until(lambda d: (t := d.find_element(By.ID, element_id).text.strip()) and t[0].isdigit() and t)
    return int(text.split()[0].replace(",", ""))


@pytest.fixture(scope="module")
def nord_leads(session_factory):
    """The leads of team Nord as (id, contact, registered_at), from the database."""
    with session_factory() as s:
        nord = s.scalar(select(Team.id).where(Team.name == "Nord"))
        return s.execute(select(Lead.id, Lead.contact_name, Lead.registered_at).where(Lead.team_id == nord)).all()


def test_the_leads_grid_pages_and_sorts_by_contact_on_the_server(browser, base_url, nord_leads, shots_dir):
    sign_in(browser, base_url, "manager", "/leads")
    assert total(browser, "leads-total") == len(nord_leads)
    newest = [r.id for r in sorted(nord_leads, key=lambda r: (r.registered_at, r.id), reverse=True)]
    assert [r["id"] for r in page_rows(browser, "leads-table")] == newest[:25]

    click(browser, '.ag-header-cell[col-id="contact_name"] .ag-header-cell-label')  # a real click on the header
    by_contact = [r.id for r in sorted(nord_leads, key=lambda r: (r.contact_name or "", -r.id))]
    wait(browser).until(lambda d: [r["id"] for r in page_rows(d, "leads-table")] == by_contact[:25])

    click(browser, '#leads-table .ag-paging-button[aria-label="Next Page"]')
    second = page_rows(browser, "leads-table", page=1)
    assert [r["id"] for r in second] == by_contact[25:50]
    contacts = [r["contact_name"] for r in second]
    assert contacts == sorted(contacts)
    href = browser.find_element(By.ID, "leads-download").get_attribute("href")
    assert "sort=contact_name" in href
    browser.save_screenshot(str(shots_dir / "leads-grid.png"))


# Cells of the columns whose values have a bounded length, and every header, that do not show their
# whole text (an ellipsis); and whether the grid scrolls sideways.
CUT_OFF = """
const grid = document.getElementById(arguments[0]);
const whole = arguments[1];
const cut = [];
for (const el of grid.querySelectorAll('.ag-header-cell-text')) {
  if (el.scrollWidth > el.clientWidth + 1) cut.push('header ' + el.textContent);
}
for (const cell of grid.querySelectorAll('.ag-center-cols-container .ag-cell')) {
  const value = cell.querySelector('.ag-cell-value') || cell;
  if (whole.includes(cell.getAttribute('col-id')) && value.scrollWidth > value.clientWidth + 1)
    cut.push(cell.getAttribute('col-id') + ' ' + cell.textContent);
}
const viewport = grid.querySelector('.ag-center-cols-viewport');
return {cut: cut, sideways: viewport.scrollWidth > viewport.clientWidth + 1, cells: grid.querySelectorAll('.ag-cell').length};
"""
BOUNDED = ["business_type", "status", "followup", "next_followup_at", "score", "registered_at"]


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_leads_grid_fits_the_screen_without_cutting_values(browser, base_url, width, shots_dir):
    browser.set_window_size(width, 1000)
    try:
        sign_in(browser, base_url, "admin", "/leads")
        page_rows(browser, "leads-table")
        seen = wait(browser).until(lambda d: (r := d.execute_script(CUT_OFF, "leads-table", BOUNDED))["cells"] and r)
        browser.save_screenshot(str(shots_dir / f"leads-grid-{width}.png"))
        assert not seen["sideways"] and not seen["cut"], seen
    finally:
        browser.set_window_size(1400, 1000)


def test_a_funnel_stage_opens_the_leads_behind_its_number(browser, base_url, cockpit, session_factory, shots_dir):
    cockpit[1].extensions["analytics_projection"].catch_up()  # the funnel counts what the replica holds
    sign_in(browser, base_url, "manager", "/funnel?period=365d")
    stages = page_rows(browser, "funnel-stages")
    index, t3 = next((i, r) for i, r in enumerate(stages) if r["stage"] == "T+3 sent")
    with session_factory() as s:
        manager = s.scalar(select(User).where(User.username == "manager"))
        team = set(s.scalars(select(Lead.id).where(Lead.team_id == manager.team_id)))
        sent = {a.lead_id for a in s.scalars(select(Activity).where(Activity.type == "FOLLOW_UP"))
                if a.details.get("step") == "T3" and a.lead_id in team}
    assert t3["count"] == len(sent) > 0

    click(browser, f'#funnel-stages .ag-row[row-index="{index}"] .ag-cell[col-id="count"] a')  # the number itself
    wait(browser).until(lambda d: "/leads?drill=stage" in d.current_url)
    assert total(browser, "leads-total") == t3["count"]
    banner = wait(browser).until(lambda d: d.find_element(By.ID, "leads-drill").text)
    assert "T+3 sent" in banner and f"{len(sent):,} leads" in banner
    listed = set()
    for page in range(-(-len(sent) // 25)):
        if page:
            click(browser, '#leads-table .ag-paging-button[aria-label="Next Page"]')
        listed |= {r["id"] for r in page_rows(browser, "leads-table", page=page)}
    assert listed == sent
    browser.save_screenshot(str(shots_dir / "drill-funnel-leads.png"))


def test_a_manager_converts_a_lead_from_its_row(browser, base_url, session_factory, shots_dir):
    now = datetime.now(timezone.utc)
    with session_factory() as s:
        sales = s.scalar(select(User).where(User.username == "sales"))
        lead = Lead(company="Hotel Zeilenweise", contact_name="Ida Row", email="ida@zeilenweise.example",
                    business_type="HOTEL", city="Kiel", owner_id=sales.id, team_id=sales.team_id, email_consent=True,
                    score=40, estimated_volume=1200, status="ACTIVE", registered_at=now - timedelta(days=5), updated_at=now)
        s.add(lead)
        s.flush()
        for minutes in (30, 20, 10):  # the same refusal three times: one row, three times
            s.add(ConversionDecision(lead_id=lead.id, decision="REJECT", fact="qualified", decided_at=now - timedelta(minutes=minutes),
                                     reasons=["not qualified: status ACTIVE and score 40 < 60"]))
        s.commit()
        lead_id = lead.id
    sign_in(browser, base_url, "manager", "/conversions")
    row = wait(browser).until(lambda d: next((r for r in page_rows(d, "conversions-decisions") if r["lead_id"] == lead_id), False))
    assert (row["company"], row["decision"], row["times"], row["action"]) == ("Hotel Zeilenweise", "REJECT", 3, "Convert")

    click(browser, f'#conversions-decisions .ag-row[row-id="{row["id"]}"] .ag-cell[col-id="action"]')
    question = wait(browser).until(lambda d: d.find_element(By.ID, "conversions-confirm-text").text)
    assert f"lead #{lead_id} Hotel Zeilenweise" in question
    click(browser, "#conversions-confirm-ok")
    done = wait(browser).until(lambda d: d.find_element(By.ID, "conversions-alert").text)
    assert f"Lead #{lead_id} Hotel Zeilenweise is now customer #" in done
    with session_factory() as s:
        assert s.get(Lead, lead_id).status == "CONVERTED"
        assert s.scalar(select(Customer.id).where(Customer.original_lead_id == lead_id)) is not None
    converted = wait(browser).until(lambda d: next((r for r in page_rows(d, "conversions-decisions")
                                                    if r["lead_id"] == lead_id and r["decision"] == "CONVERT"), False))
    assert converted["action"] == "Undo" and converted["status"] == "CONVERTED"
    browser.save_screenshot(str(shots_dir / "conversions-converted.png"))

    # choosing a group lists its rows only; "Every group" lists them all again
    click(browser, '#conversions-groups .ag-row[row-id="REJECT|None|None|qualified"] .ag-cell[col-id="rule"]')
    wait(browser).until(lambda d: {r["decision"] for r in page_rows(d, "conversions-decisions")} == {"REJECT"})
    click(browser, "#conversions-show-all")
    wait(browser).until(lambda d: {"REJECT", "CONVERT"} <= {r["decision"] for r in page_rows(d, "conversions-decisions")})


def test_a_small_grid_downloads_as_csv_with_formulas_neutralised(browser, base_url, session_factory, tmp_path):
    with session_factory() as s:
        s.add(User(username="formula", display_name="=HYPERLINK(\"http://x\")", password_hash="x", role="viewer",
                   created_at=datetime.now(timezone.utc)))
        s.commit()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(browser, base_url, "admin", "/admin/users")
    # the grid fills in after its first render: wait for the row, not for any rows
    assert wait(browser).until(lambda d: any(r["username"] == "formula" for r in (all_rows(d, "users-table") or [])))
    target = tmp_path / "users.csv"
    wait(browser).until(EC.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Download CSV']"))).click()
    wait(browser, 20).until(lambda d: target.exists() and not list(tmp_path.glob("*.crdownload")))
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))  # AG Grid writes a BOM for Excel
    assert rows[0] == ["Username", "Name", "Role", "Team", "Access"]
    assert ["formula", "'=HYPERLINK(\"http://x\")", "viewer", "—", "active"] in rows
    with session_factory() as s:
        assert len(rows) - 1 == len(s.scalars(select(User)).all())
