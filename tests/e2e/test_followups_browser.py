"""The Follow-ups work list in a real browser at demo size (2,000 demo leads): the admin's week list shows
within 2 s, its numbers match a count of the database, its columns fit 1,280 and 1,920 px screens, the
filters narrow it, and 50 rows selected with real clicks (a click, then a shift-click) are paused at once:
exactly those 50, as the database says."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from data.followup_models import FollowupPause
from data.models import Lead
from services.followups import period_end
from tests.conftest import serving_demo_app

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1200)]
WAIT = 180  # seconds; the machine is slow and shared
ROW = "#followups-grid .ag-center-cols-container .ag-row[row-id]"
FAST_ENOUGH_S = 2.0


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    """The demo at its default size, without the simulator (the counts compared must hold still)."""
    with serving_demo_app(tmp_path_factory.mktemp("e2e-followups"), demo_leads=2000, demo_simulator=False) as served:
        yield served


def wait(driver, seconds=WAIT):
    return WebDriverWait(driver, seconds, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException, TimeoutException))


def load(driver, url):
    try:
        driver.get(url)
    except TimeoutException:
        pass  # a page slower than chromedriver's limit: the waits that follow decide


def sign_in(browser, base_url, who: str) -> None:
    browser.delete_all_cookies()
    load(browser, f"{base_url}/login?next={quote('/followups')}")
    wait(browser).until(EC.element_to_be_clickable((By.ID, "username"))).send_keys(who)
    browser.find_element(By.ID, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ROW))


def week_list(session_factory) -> list[int]:
    """The admin's week list, counted with plain SQL in the grid's first order (due time, then id)."""
    end = period_end("week", datetime.now(timezone.utc))
    stmt = (select(Lead.id).where(Lead.next_followup_at.is_not(None), Lead.next_followup_at < end,
                                  Lead.id.not_in(select(FollowupPause.lead_id)))
            .order_by(Lead.next_followup_at, Lead.id))
    with session_factory() as s:
        return list(s.scalars(stmt))


def shown_total(browser) -> int:
    total = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, '#followups-summary [data-count="total"]')))
    return int(total.text.replace(",", ""))


def test_the_admins_week_list_shows_within_two_seconds_and_counts_right(browser, base_url, session_factory, shots_dir):
    sign_in(browser, base_url, "admin")
    took = []
    for _ in range(5):  # as a person opens it: the navbar's link, from another page of the app
        browser.find_element(By.ID, "nav-cockpit").click()
        wait(browser).until(lambda d: not d.find_elements(By.ID, "followups-grid"))
        began = time.perf_counter()
        browser.find_element(By.ID, "nav-followups").click()
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ROW))
        took.append(time.perf_counter() - began)
    began = time.perf_counter()
    load(browser, f"{base_url}/followups")  # a full load (scripts cached): reported, for comparison
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ROW))
    print(f"week list shown {', '.join(f'{t:.2f}' for t in took)} s after the click; "
          f"{time.perf_counter() - began:.2f} s after a full load")
    # The best of five: the other processes on this shared machine only ever add to a time, and the
    # first open also fetches and compiles the grid's scripts once for the browser's session.
    assert min(took) < FAST_ENOUGH_S, took
    expected = week_list(session_factory)
    assert shown_total(browser) == len(expected)
    paging = browser.find_element(By.CSS_SELECTOR, "#followups-grid .ag-paging-row-summary-panel").text  # "1 to 50 of 396"
    assert int(paging.rsplit(" of ", 1)[-1].replace(",", "")) == len(expected)
    first = browser.find_element(By.CSS_SELECTOR, f'{ROW}[row-index="0"]').get_attribute("row-id")
    assert int(first) == expected[0]
    browser.save_screenshot(str(shots_dir / "followups-week.png"))


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_columns_fit_the_screen_without_scrolling_sideways(browser, base_url, width, shots_dir):
    browser.set_window_size(width, 1000)
    try:
        load(browser, f"{base_url}/followups")
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ROW))
        time.sleep(0.5)  # the grid shares out the room after its first paint
        viewport = browser.find_element(By.CSS_SELECTOR, "#followups-grid .ag-center-cols-viewport")
        scroll, client = (int(viewport.get_attribute(p)) for p in ("scrollWidth", "clientWidth"))
        assert scroll <= client + 1, f"{width} px: the columns take {scroll} px of {client}"
        headers = [h for h in browser.find_elements(By.CSS_SELECTOR, "#followups-grid .ag-header-cell-text") if h.text]
        assert [h.text for h in headers][:3] == ["Company", "Contact", "E-mail"] and all(h.is_displayed() for h in headers)
        right = browser.execute_script("return arguments[0].getBoundingClientRect().right", viewport)
        last = browser.execute_script("return arguments[0].getBoundingClientRect().right", headers[-1])
        assert headers[-1].text == "Lead status" and last <= right
        browser.save_screenshot(str(shots_dir / f"followups-{width}.png"))
    finally:
        browser.set_window_size(1400, 1000)


def test_the_filters_narrow_the_list(browser, base_url, session_factory):
    load(browser, f"{base_url}/followups")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ROW))
    with session_factory() as s:
        lead_id, company = s.execute(select(Lead.id, Lead.company).where(Lead.next_followup_at.is_not(None))
                                     .order_by(Lead.id).limit(1)).one()
        same_name = s.scalar(select(func.count()).select_from(Lead).where(
            Lead.next_followup_at.is_not(None), func.lower(Lead.company).contains(company.lower()),
            Lead.id.not_in(select(FollowupPause.lead_id))))
    browser.find_element(By.XPATH, "//label[text()='All']").click()
    search = browser.find_element(By.ID, "followups-search")
    search.send_keys(company, Keys.ENTER)
    wait(browser).until(lambda d: shown_total(d) == same_name)
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{ROW}[row-id="{lead_id}"]'))
    search.clear()
    search.send_keys(Keys.ENTER)
    browser.find_element(By.XPATH, "//label[text()='This week']").click()
    wait(browser).until(lambda d: shown_total(d) == len(week_list(session_factory)))


def checkbox(browser, index: int):
    return browser.find_element(By.CSS_SELECTOR, f'#followups-grid .ag-row[row-index="{index}"] .ag-selection-checkbox input')


def test_a_bulk_pause_of_50_selected_rows_pauses_exactly_those(browser, base_url, session_factory, shots_dir):
    load(browser, f"{base_url}/followups")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{ROW}[row-index="0"]'))
    before = week_list(session_factory)
    with session_factory() as s:
        paused_before = set(s.scalars(select(FollowupPause.lead_id)))
    checkbox(browser, 0).click()
    body = browser.find_element(By.CSS_SELECTOR, "#followups-grid .ag-body-viewport")
    browser.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", body)  # row 50 is on this page
    last = wait(browser).until(lambda d: checkbox(d, 49))
    ActionChains(browser).key_down(Keys.SHIFT).click(last).key_up(Keys.SHIFT).perform()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "followups-selected"), "50 selected"))
    shown = [browser.find_element(By.CSS_SELECTOR, f'#followups-grid .ag-row[row-index="{i}"]').get_attribute("row-id")
             for i in (0, 49)]
    assert [int(i) for i in shown] == [before[0], before[49]]  # the grid's order is the database's
    browser.find_element(By.ID, "followups-pause").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "followups-message"), "50 paused, 0 skipped"))
    with session_factory() as s:
        paused_now = set(s.scalars(select(FollowupPause.lead_id)))
    assert paused_now - paused_before == set(before[:50]) and paused_before <= paused_now
    wait(browser).until(lambda d: shown_total(d) == len(before) - 50)  # they left the list of planned steps
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "followups-selected"), "No row selected"))
    browser.save_screenshot(str(shots_dir / "followups-paused-50.png"))
