"""What a new user noticed, checked with real clicks in headless Chromium: the manager's way back from a
member, the recent activity in words, the status chart's values, the sent card following the period,
"All teams" said once, the navbar on the password page, refusals written for people, the template
preview clearing its error, and the rules editor's placeholders looking like placeholders."""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.e2e.conftest import scroll_click
from tests.e2e.test_browser import click, nav_labels, navigating, page_title, shoot, sign_in, text_of, wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]


def visible_text(driver) -> str:
    return driver.find_element(By.ID, "_pages_content").text


def test_a_manager_drills_into_a_member_and_clicks_back_to_the_team(browser, base_url, shots_dir):
    sign_in(browser, base_url, "manager", "/")
    assert page_title(browser) == "Team Nord"
    assert not browser.find_elements(By.ID, "cockpit-back-to-team")
    me = text_of(browser, By.CSS_SELECTOR, "#nav-user .dropdown-toggle").split(" · ")[0]
    links = wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cockpit-members .ag-cell[col-id='name'] a"))
    member = next(a.text for a in links if a.text != me)  # the manager's own row is not a drill-in
    navigating(lambda: scroll_click(browser, By.LINK_TEXT, member))
    wait(browser).until(lambda d: page_title(d) == member)
    shoot(browser, shots_dir, "cockpit-member")
    navigating(lambda: click(browser, By.ID, "cockpit-back-to-team"))
    wait(browser).until(lambda d: page_title(d) == "Team Nord")
    assert text_of(browser, By.CSS_SELECTOR, "#cockpit-members .ag-cell[col-id='name'] a")
    assert not browser.find_elements(By.ID, "cockpit-back-to-team")


def test_recent_activity_and_the_status_chart_speak_plainly(browser, base_url, shots_dir):
    sign_in(browser, base_url, "admin", "/")
    lines = wait(browser).until(lambda d: [li.text for li in d.find_elements(By.CSS_SELECTOR, "#cockpit-recent li")] or False)
    for line in lines:
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d ?.+ — [a-z]", line), line
        assert "lead " not in line.split(" — ")[0] and "." not in line.split(" — ")[1], line  # no raw ids or types
    companies = browser.find_elements(By.CSS_SELECTOR, "#cockpit-recent li a")
    assert all(a.get_attribute("href").split("/leads/")[1].isdigit() for a in companies)
    bars = wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cockpit-status-chart .bars .point") or False)
    values = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#cockpit-status-chart .bars .point text")]
    assert len(values) == len(bars) and all(v.isdigit() and int(v) > 0 for v in values), values
    shoot(browser, shots_dir, "cockpit-admin")


def test_the_sent_card_follows_the_period_and_all_teams_is_said_once(browser, base_url):
    sign_in(browser, base_url, "admin", "/")
    assert page_title(browser) == "All teams"
    assert visible_text(browser).count("All teams") == 1
    label = lambda d: d.find_element(By.XPATH, "//*[@id='kpi-sent']/preceding-sibling::div").get_attribute("textContent")
    assert wait(browser).until(label) == "Sent · last 7 days"
    click(browser, By.XPATH, "//label[normalize-space()='30 days']")
    wait(browser).until(lambda d: label(d) == "Sent · last 30 days")
    click(browser, By.XPATH, "//label[normalize-space()='Today']")
    wait(browser).until(lambda d: label(d) == "Sent today")
    assert not browser.find_elements(By.ID, "kpi-sent-today")  # today's sends are the number itself


def test_the_password_page_has_the_same_navbar_and_it_leads_back_to_dash(browser, base_url, shots_dir):
    sign_in(browser, base_url, "analyst", "/")
    dash_links = nav_labels(browser)
    click(browser, By.CSS_SELECTOR, "#nav-user .dropdown-toggle")
    navigating(lambda: click(browser, By.LINK_TEXT, "Change password"))
    wait(browser).until(EC.presence_of_element_located((By.ID, "current")))
    assert browser.current_url == f"{base_url}/account/password"
    assert nav_labels(browser) == dash_links
    assert text_of(browser, By.CSS_SELECTOR, "#nav-user .dropdown-toggle").endswith("· analyst")
    click(browser, By.CSS_SELECTOR, "#nav-group-analytics summary")  # a <details> dropdown: no script
    shoot(browser, shots_dir, "password-navbar")
    navigating(lambda: click(browser, By.ID, "nav-funnel"))
    wait(browser).until(lambda d: d.current_url == f"{base_url}/funnel" and page_title(d))


def test_a_refusal_is_written_for_people(browser, base_url):
    sign_in(browser, base_url, "viewer", "/")
    navigating(lambda: browser.get(f"{base_url}/leads"))
    refusal = text_of(browser, By.CSS_SELECTOR, ".refusal p")
    assert refusal == "Your role (viewer) can't open individual leads. Ask an admin if you need access."


def test_a_valid_preview_clears_the_templates_red_error(browser, base_url, shots_dir):
    sign_in(browser, base_url, "admin", "/admin/templates")
    click(browser, By.ID, "templates-name")
    click(browser, By.XPATH, '//*[@role="option"][normalize-space()="welcome-en"]')
    subject = wait(browser).until(EC.element_to_be_clickable((By.ID, "templates-subject")))
    wait(browser).until(lambda d: subject.get_attribute("value"))
    subject.send_keys(" {{ nope }}")
    scroll_click(browser, By.ID, "templates-save")  # refused: the error above the page
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#templates-message .alert-danger"))
    scroll_click(browser, By.ID, "templates-preview")  # still wrong: the issues in the preview card
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#templates-issues .alert-danger"))
    subject.send_keys(Keys.BACKSPACE * len(" {{ nope }}"))
    scroll_click(browser, By.ID, "templates-preview")
    wait(browser).until(EC.presence_of_element_located((By.ID, "templates-frame")))
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#_pages_content .alert-danger"))
    shoot(browser, shots_dir, "templates-valid-preview")


PLACEHOLDER_STYLE = "const s = getComputedStyle(arguments[0], '::placeholder'); return [s.fontStyle, s.fontFamily];"


def test_the_rules_placeholders_look_like_placeholders(browser, base_url):
    sign_in(browser, base_url, "admin", "/admin/rules")
    for field in ("rules-expression", "rules-dry-leads"):
        box = wait(browser).until(EC.presence_of_element_located((By.ID, field)))
        assert box.get_attribute("value") == "" and box.get_attribute("placeholder").startswith("e.g. "), field
        style, family = browser.execute_script(PLACEHOLDER_STYLE, box)
        assert style == "italic" and "monospace" not in family, (field, style, family)
    scroll_click(browser, By.ID, "rules-dry-run")  # the example is not a value: nothing to run
    assert "Give one or more lead ids" in text_of(browser, By.ID, "rules-dry-result")
