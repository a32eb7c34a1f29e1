"""A manager opens the Follow-ups page in a real browser, presses "Send now" on a due step, and sees
it leave the due list and appear as sent in the lead's follow-up timeline."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from data.models import Lead, User

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1200)]
WAIT = 180  # seconds; the machine is slow and shared


def wait(driver):
    return WebDriverWait(driver, WAIT, poll_frequency=0.5,
                         ignored_exceptions=(StaleElementReferenceException, TimeoutException))


def load(driver, url):
    try:
        driver.get(url)
    except TimeoutException:
        pass  # a page slower than chromedriver's limit: the waits that follow decide


def due_lead(session_factory, owner: str) -> int:
    now = datetime.now(timezone.utc)
    with session_factory() as s:
        user = s.scalar(select(User).where(User.username == owner))
        lead = Lead(company="Gasthaus Sendetest", email="sendetest@gasthaus.example", business_type="RESTAURANT",
                    owner_id=user.id, team_id=user.team_id, email_consent=True, status="ACTIVE",
                    registered_at=now - timedelta(days=8), updated_at=now, next_followup_at=now - timedelta(minutes=5))
        s.add(lead)
        s.commit()
        return lead.id


def test_manager_sends_a_due_followup_now(browser, base_url, session_factory, shots_dir):
    lead_id = due_lead(session_factory, "sales")
    browser.delete_all_cookies()
    load(browser, f"{base_url}/login?next={quote('/followups')}")
    wait(browser).until(EC.element_to_be_clickable((By.ID, "username"))).send_keys("manager")
    browser.find_element(By.ID, "password").send_keys("demo")
    try:
        browser.find_element(By.ID, "sign-in").click()
    except TimeoutException:
        pass
    row = f'#followups-list-table tr[data-lead="{lead_id}"]'
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, row)))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#followups-list-table tbody tr")) >= 1
    browser.save_screenshot(str(shots_dir / "followups-due.png"))
    wait(browser).until(lambda d: d.find_element(By.XPATH, f'//tr[@data-lead="{lead_id}"]//button[text()="Send now"]')
                        .click() or True)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "followups-message"), "Sent"))
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, row))  # left the due list
    load(browser, f"{base_url}/leads/{lead_id}")
    sent = wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, '#lead-followups [data-status="sent"][data-step="T3"]')))
    assert "SAMPLE_REQUEST" in sent.text
    browser.save_screenshot(str(shots_dir / "followups-lead-timeline.png"))
