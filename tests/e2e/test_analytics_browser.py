"""An analyst opens the funnel, the template comparison and the ROI page in a real browser: each shows
a chart and a table with the demo's data, a business type filter lands in the URL and changes the
numbers, and the page's download button saves a CSV with its header and rows."""
from __future__ import annotations

import csv
import time
from urllib.parse import quote

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
WAIT = 120  # seconds; the machine is slow and shared
FILTER = "HOTEL"
# path, Dash id prefix, chart, table whose numbers must change, download button, the CSV's first columns
PAGES = [("/funnel", "funnel", "funnel-chart", "funnel-stages", "download-funnel", ["stage", "count"]),
         ("/templates", "tstats", "tstats-chart", "tstats-variants", "download-templates", ["template_id", "version", "variant", "sent"]),
         ("/roi", "roi", "roi-chart", "roi-months", "download-roi", ["month", "sent", "converted", "revenue"])]


def wait(driver, seconds: float = WAIT):
    return WebDriverWait(driver, seconds, poll_frequency=0.3,
                         ignored_exceptions=(StaleElementReferenceException, TimeoutException))


def load(driver, url):
    try:
        driver.get(url)
    except TimeoutException:
        pass  # a page slower than chromedriver's limit: the waits that follow decide


@pytest.fixture(scope="module")
def analyst(browser, base_url, cockpit, tmp_path_factory):
    """The browser signed in as analyst, with downloads going to a temporary folder; the analytics
    replica has caught up with the demo history first (the pages render what it holds)."""
    cockpit[1].extensions["analytics_projection"].catch_up()
    downloads = tmp_path_factory.mktemp("downloads")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.delete_all_cookies()
    load(browser, f"{base_url}/login?next={quote('/funnel')}")
    wait(browser).until(EC.element_to_be_clickable((By.ID, "username"))).send_keys("analyst")
    browser.find_element(By.ID, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    wait(browser).until(lambda d: "/login" not in d.current_url)
    return browser, downloads


def table_cells(driver, table_id: str) -> list[str]:
    return [c.text for c in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} .ag-center-cols-container .ag-cell")]


def shown(driver, chart: str, table_id: str) -> list[str] | bool:
    """The table's cells once the chart is drawn and the table has rows (False while loading)."""
    if not driver.find_elements(By.CSS_SELECTOR, f"#{chart} .main-svg"):
        return False
    return table_cells(driver, table_id) or False


def choose(driver, dropdown_id: str, label: str) -> None:
    wait(driver).until(EC.element_to_be_clickable((By.ID, dropdown_id))).click()
    wait(driver).until(EC.element_to_be_clickable(
        (By.XPATH, f'//*[@role="option"][normalize-space()="{label}"]'))).click()


def downloaded(folder, name: str, seconds: float = 30) -> list[list[str]]:
    """The rows of a finished download (Chromium writes *.crdownload until it is complete)."""
    target, deadline = folder / name, time.monotonic() + seconds
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            with open(target, newline="", encoding="utf-8") as f:
                return list(csv.reader(f))
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded within {seconds} s: {[p.name for p in folder.iterdir()]}")


@pytest.mark.parametrize("path, prefix, chart, table_id, button, header", PAGES, ids=[p[0] for p in PAGES])
def test_analyst_filters_a_page_and_downloads_its_csv(analyst, base_url, shots_dir, path, prefix, chart, table_id,
                                                      button, header):
    driver, downloads = analyst
    load(driver, base_url + path)
    before = wait(driver).until(lambda d: shown(d, chart, table_id))
    assert not driver.find_elements(By.CSS_SELECTOR, f"#{prefix}-body .empty-state")

    choose(driver, f"{prefix}-business_type", FILTER)
    wait(driver).until(lambda d: f"business_type={FILTER}" in d.current_url)
    after = wait(driver).until(lambda d: (cells := shown(d, chart, table_id)) and cells != before and cells)
    assert after != before  # the hotels alone: other counts than every business type
    driver.save_screenshot(str(shots_dir / f"analytics-{prefix}.png"))

    link = wait(driver).until(EC.element_to_be_clickable((By.ID, button)))
    assert f"business_type={FILTER}" in link.get_attribute("href")  # the file holds what the page shows
    name = link.get_attribute("download")
    (downloads / name).unlink(missing_ok=True)
    link.click()
    rows = downloaded(downloads, name)
    assert rows[0][:len(header)] == header
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
