"""Labelling replies in bulk in a real browser: a manager ticks two of the replies waiting for a person,
picks a label and presses once; both are labelled in the database and leave the list, the third stays."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from sqlalchemy import select

from data.conversion_models import ReplyReview
from data.models import User
from domain.roles import Actor, Role
from services.replies import log_reply
from tests.conftest import wait_for
from tests.e2e.test_analytics_browser import choose
from tests.e2e.test_grids_browser import all_rows, click, sign_in, wait
from tests.integration.test_rules_admin import ready_lead


def unsure_replies(cockpit, session_factory, n: int) -> list[int]:
    """`n` leads of sales whose owner logged a reply the classifier is unsure of; their reviews' ids."""
    uow = cockpit[1].extensions["cockpit"].uow
    lead_ids = [ready_lead(uow) for _ in range(n)]  # sales' leads, ready to convert
    with session_factory() as s:
        sales = s.scalar(select(User).where(User.username == "sales"))
        owner = Actor(sales.id, "sales", Role.SALES, sales.team_id)
    for lead_id in lead_ids:
        assert log_reply(uow, owner, lead_id, "Rückruf morgen, siehe Anhang.")["review"]

    def reviews():
        with session_factory() as s:
            return s.scalars(select(ReplyReview.id).where(ReplyReview.lead_id.in_(lead_ids)).order_by(ReplyReview.id)).all()
    assert wait_for(lambda: len(reviews()) == n, timeout=30), "the unsure replies did not reach the review queue"
    return reviews()


def test_a_manager_ticks_two_replies_and_labels_both_at_once(browser, base_url, cockpit, session_factory, shots_dir):
    first, second, third = unsure_replies(cockpit, session_factory, 3)
    sign_in(browser, base_url, "manager", "/conversions")
    wait(browser).until(lambda d: {first, second, third} <= {r["id"] for r in (all_rows(d, "conversions-reviews") or [])})
    for review_id in (first, second):
        click(browser, f'#conversions-reviews .ag-row[row-id="{review_id}"] .ag-selection-checkbox input')
    choose(browser, "conversions-review-label", "NEGATIVE")
    click(browser, "#conversions-review-save")
    done = wait(browser).until(lambda d: d.find_element(By.ID, "conversions-alert").text)
    assert "2 replies labelled NEGATIVE." in done
    with session_factory() as s:
        labels = dict(s.execute(select(ReplyReview.id, ReplyReview.label).where(ReplyReview.id.in_([first, second, third]))).all())
    assert labels == {first: "NEGATIVE", second: "NEGATIVE", third: None}
    shown = wait(browser).until(lambda d: {r["id"] for r in (all_rows(d, "conversions-reviews") or [])} or False)
    assert third in shown and not {first, second} & shown
    browser.save_screenshot(str(shots_dir / "conversions-labelled.png"))
