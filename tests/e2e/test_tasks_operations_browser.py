"""The tasks inbox and the operations page in a real browser, with real clicks: a sales user closes a
call task and snoozes two and sees her open count drop on the page and on the cockpit; an admin
retries a dead sink delivery and lifts a suppression with a reason. Every number on screen is
compared with a count made in SQL; the CSP must hold (AG Grid's row buttons come from assets/)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import text

from data.models import EventRecord, Suppression
from data.sink_models import SinkDelivery
from tests.e2e.test_browser import click, navigating, shoot, sign_in, text_of, wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]
SALES_OPEN = ("SELECT count(*) FROM tasks JOIN leads ON leads.id = tasks.lead_id JOIN users ON users.id = leads.owner_id "
              "WHERE tasks.done_at IS NULL AND users.username = 'sales'")
ROWS = "#tasks-grid .ag-center-cols-container .ag-row[row-id]"


def sql(session_factory, statement: str, **params):
    with session_factory() as s:
        return s.execute(text(statement), params).scalar()


def number(driver, by, selector) -> int:
    return int(re.match(r"\d+", text_of(driver, by, selector)).group(0))


def row_button(grid: str, row_id: str, action: str) -> str:
    return f'#{grid} .ag-row[row-id="{row_id}"] button[data-action="{action}"]'


def test_sales_closes_a_task_and_snoozes_two_and_the_counts_drop(browser, base_url, session_factory, shots_dir):
    before = sql(session_factory, SALES_OPEN)
    assert before >= 3, "the demo gives the sales user open call tasks"
    sign_in(browser, base_url, "sales", "/")
    assert number(browser, By.ID, "cockpit-open-tasks") == before
    navigating(lambda: click(browser, By.ID, "nav-tasks"))
    wait(browser).until(lambda d: text_of(d, By.ID, "tasks-total") == f"{before} open tasks")
    wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ROWS)) >= 3)
    first, second, third = [r.get_attribute("row-id") for r in browser.find_elements(By.CSS_SELECTOR, ROWS)[:3]]
    overdue = sql(session_factory, "SELECT due_at <= :now FROM tasks WHERE id = :i", i=int(first),
                  now=datetime.now(timezone.utc).replace(tzinfo=None))
    first_row = browser.find_element(By.CSS_SELECTOR, f'{ROWS}[row-id="{first}"]')
    assert ("task-overdue" in first_row.get_attribute("class")) == bool(overdue)
    browser.save_screenshot(str(shots_dir / "tasks-inbox.png"))  # the window: a full-page capture blanks the grid

    click(browser, By.CSS_SELECTOR, row_button("tasks-grid", first, "done"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "tasks-message"), "Done: 1 task."))
    wait(browser).until(lambda d: text_of(d, By.ID, "tasks-total") == f"{before - 1} open tasks")
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'{ROWS}[row-id="{first}"]'))
    assert sql(session_factory, SALES_OPEN) == before - 1

    for row_id in (second, third):  # the selection boxes, then the bulk button
        click(browser, By.CSS_SELECTOR, f'#tasks-grid .ag-row[row-id="{row_id}"] .ag-selection-checkbox input')
    click(browser, By.XPATH, "//button[normalize-space()='Snooze 1 day']")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "tasks-message"), "Snoozed 2 tasks by 1 day."))
    assert sql(session_factory, "SELECT sum(snoozes) FROM tasks WHERE id IN (:a, :b)", a=int(second), b=int(third)) == 2
    assert sql(session_factory, SALES_OPEN) == before - 1  # snoozed, not closed
    browser.save_screenshot(str(shots_dir / "tasks-after.png"))

    navigating(lambda: click(browser, By.ID, "nav-cockpit"))
    wait(browser).until(lambda d: number(d, By.ID, "cockpit-open-tasks") == before - 1)


def dead_letter_and_suppression(session_factory) -> tuple[int, str]:
    now = datetime.now(timezone.utc)
    with session_factory() as s:
        s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})  # a writer: wait for the app's writers
        record = EventRecord(id="browser-dead-1", source="/crm", type="com.freshplan.lead.registered.v1", time=now,
                             idempotency_key="browser-dead-1", data={}, recorded_at=now, subject="lead/1")
        s.add(record)
        s.flush()
        s.add(SinkDelivery(sink="webhook", event_seq=record.seq, attempts=8, last_error="HTTP 410 Gone", dead_at=now))
        s.add(Suppression(email="lift-me@browser.example", reason="bounce", source="ses", created_at=now))
        s.commit()
        return record.seq, "lift-me@browser.example"


def test_admin_retries_a_dead_delivery_and_lifts_a_suppression_with_a_reason(browser, base_url, session_factory,
                                                                             shots_dir):
    seq, address = dead_letter_and_suppression(session_factory)
    dead = "SELECT count(*) FROM sink_deliveries WHERE dead_at IS NOT NULL"
    sign_in(browser, base_url, "admin", "/admin/operations")
    wait(browser).until(lambda d: number(d, By.ID, "ops-sinks-total") == sql(session_factory, dead))
    click(browser, By.CSS_SELECTOR, row_button("ops-sinks-grid", f"webhook/{seq}", "retry"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "ops-message"), f"Retried: webhook/{seq}"))
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#ops-sinks-grid .ag-row[row-id="webhook/{seq}"]'))
    assert sql(session_factory, "SELECT dead_at IS NULL FROM sink_deliveries WHERE event_seq = :s", s=seq)
    wait(browser).until(lambda d: number(d, By.ID, "ops-sinks-total") == sql(session_factory, dead))

    click(browser, By.XPATH, "//a[contains(@class,'nav-link')][normalize-space()='Suppressions']")
    search = wait(browser).until(EC.element_to_be_clickable((By.ID, "ops-suppressions-search")))
    search.send_keys("lift-me\n")
    wait(browser).until(lambda d: text_of(d, By.ID, "ops-suppressions-total") == "1 suppressed address")
    click(browser, By.CSS_SELECTOR, row_button("ops-suppressions-grid", address, "lift"))
    reason = wait(browser).until(EC.visibility_of_element_located((By.ID, "ops-dialog-reason")))
    assert not browser.find_element(By.ID, "ops-dialog-confirm").is_enabled()  # no reason, no lift
    reason.send_keys("mailbox full last month, fixed now")
    wait(browser).until(lambda d: d.find_element(By.ID, "ops-dialog-confirm").is_enabled())
    shoot(browser, shots_dir, "operations-lift")
    click(browser, By.ID, "ops-dialog-confirm")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "ops-message"), f"Lifted: {address}"))
    assert sql(session_factory, "SELECT count(*) FROM suppressions WHERE email = :e", e=address) == 0
    assert sql(session_factory, "SELECT username || ' ' || reason FROM operator_actions WHERE target = :e",
               e=address) == "admin mailbox full last month, fixed now"
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "ops-recent"), "mailbox full last month"))
    wait(browser).until(lambda d: text_of(d, By.ID, "ops-suppressions-total") == "0 suppressed addresses")
