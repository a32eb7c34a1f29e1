"""The live cockpit in headless Chromium: an event posted by another system shows up in the open
cockpit of the lead's owner within a second, without a reload, and nowhere else."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from sqlalchemy import select

from data.models import Lead, User
from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, FLAGS
from tests.e2e.test_browser import sign_in, text_of, wait

HEADERS = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}


@pytest.fixture(scope="module")
def second_browser(tmp_path_factory, base_url):
    """sales2's browser: its own profile, so its own session."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile-2')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(150)
    yield driver
    driver.quit()


def open_live_cockpit(driver, base_url, username) -> str:
    sign_in(driver, base_url, username, "/")
    wait(driver).until(lambda d: d.find_element(By.ID, "cockpit-live-status").text.strip() == "live")
    return text_of(driver, By.ID, "kpi-replies")


def post_reply(base_url, lead_id) -> None:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"specversion": "1.0", "id": f"reply-{uuid.uuid4().hex}", "source": "/mail/e2e",
             "type": "com.freshplan.followup.replied.v1", "time": now, "subject": f"lead/{lead_id}",
             "data": {"lead_id": lead_id, "replied_at": now, "label": "POSITIVE", "text": "Klingt gut."}}
    r = requests.post(f"{base_url}/api/events", data=json.dumps(event), headers=HEADERS, timeout=10)
    assert r.status_code in (200, 201, 202), r.text


def test_a_posted_reply_updates_the_owners_open_cockpit_within_a_second(browser, second_browser, base_url,
                                                                      session_factory):
    with session_factory() as s:
        sales = s.scalar(select(User).where(User.username == "sales"))
        lead_id, company = s.execute(select(Lead.id, Lead.company).where(Lead.owner_id == sales.id).limit(1)).one()
    before = int(open_live_cockpit(browser, base_url, "sales"))
    other_before = open_live_cockpit(second_browser, base_url, "sales2")
    other_body = second_browser.find_element(By.ID, "cockpit-body").text
    url_before = browser.current_url

    started = time.monotonic()
    post_reply(base_url, lead_id)
    wait(browser, 5).until(lambda d: d.find_element(By.ID, "kpi-replies").text.strip() == str(before + 1))
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"the reply took {elapsed:.2f} s to show"
    assert browser.current_url == url_before  # no reload, no navigation
    # the feed names the company and what happened; read again if a later push re-rendered it meanwhile
    wait(browser, 5).until(lambda d: f"{company} — replied (positive)" in d.find_element(By.ID, "cockpit-recent").text)

    time.sleep(1.0)  # sales2 would have been pushed by now
    assert second_browser.find_element(By.ID, "kpi-replies").text.strip() == other_before
    assert second_browser.find_element(By.ID, "cockpit-body").text == other_body
    assert second_browser.find_element(By.ID, "cockpit-live-status").text.strip() == "live"
