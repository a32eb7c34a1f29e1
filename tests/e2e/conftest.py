"""Browser fixtures: one live server and one headless Chromium per test module, driven by selenium.

Chromium is started with flags that keep it off the network (this machine has none, and Chromium
otherwise stalls on background connections) and with a fresh profile in a temporary folder.
Passing the chromedriver path to Service keeps selenium-manager from trying to download anything.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException, ElementNotInteractableException,
                                        NoSuchElementException, StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import serving_demo_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS_DIR = Path("/tmp/e2e-shots")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


def scroll_click(driver, by, selector, seconds: float = 60) -> None:
    """A real click once the element is on screen (scrolled to the middle of the window) and nothing
    covers it: while a loading overlay, a re-drawn grid or a page still settling is on top, the browser
    refuses the click (nothing is clicked) and it is tried again."""
    def clicked(d):
        element = d.find_element(by, selector)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        return True
    WebDriverWait(driver, seconds, poll_frequency=0.3,
                  ignored_exceptions=(StaleElementReferenceException, ElementClickInterceptedException,
                                      ElementNotInteractableException, NoSuchElementException)).until(clicked)


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    """The app with demo data behind a real HTTP server; built once per module (it takes a while)."""
    with serving_demo_app(tmp_path_factory.mktemp("e2e-app")) as served:
        yield served


@pytest.fixture(scope="module")
def base_url(cockpit):
    return cockpit[0].url


@pytest.fixture(scope="module")
def session_factory(cockpit):
    return cockpit[1].extensions["cockpit"].uow.session_factory


# A page load may take minutes on a loaded machine. Chromedriver gives up on one after PAGE_LOAD
# seconds (the tests then keep waiting for what they need); selenium's HTTP client must wait longer
# than that, or it times out first and re-sends the command, stacking navigations in the browser.
PAGE_LOAD = 150
CLIENT = 400


@pytest.fixture(scope="module")
def browser(tmp_path_factory, base_url):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # Chromium blocks a site's second download that no link click started (a grid's CSV export
    # after another): the tests download several files per site
    options.add_experimental_option("prefs", {"profile.default_content_setting_values.automatic_downloads": 1})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.command_executor.client_config.timeout = CLIENT
    driver.set_page_load_timeout(PAGE_LOAD)
    driver.set_script_timeout(60)
    # warm up: the first page of a fresh browser is the slowest (renderer start, empty cache)
    try:
        driver.get(f"{base_url}/login")
    except TimeoutException:
        pass
    WebDriverWait(driver, 300).until(lambda d: d.find_elements(By.ID, "username"))
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def shots_dir():
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    (SHOTS_DIR / "browser-console.log").unlink(missing_ok=True)  # one run's console per file
    return SHOTS_DIR


CSP_VIOLATION = ("Content Security Policy", "Content-Security-Policy", "Refused to")


@pytest.fixture(autouse=True)
def browser_console(request, browser, shots_dir):
    """Keeps what the page wrote to the browser console (failed requests, script errors) next to the
    screenshots, one block per test, so a person can read it after a run; and fails the test when the
    browser refused anything under the Content-Security-Policy (web/security_headers.py)."""
    yield
    entries = browser.get_log("browser")
    with open(shots_dir / "browser-console.log", "a", encoding="utf-8") as log:
        log.write(f"== {request.node.nodeid}: {len(entries)} entries\n")
        log.writelines(f"{e['level']} {e['message']}\n" for e in entries)
    refused = [e["message"] for e in entries if any(mark in e["message"] for mark in CSP_VIOLATION)]
    assert not refused, "the Content-Security-Policy blocked something:\n" + "\n".join(refused)
