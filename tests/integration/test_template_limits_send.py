"""A real send holds the template to the same rendering limits as the preview: an active template that
would loop for minutes fails its follow-up step fast, like any broken template, and sends nothing."""
from __future__ import annotations

import time

from sqlalchemy import select

from data.models import EmailMessage, EmailTemplate
from domain.followups import FollowupPolicy
from services.followups import FollowupAutomation, run_due_followups
from services.holiday_calendar import PublicHolidays
from services.templates import ensure_seed_templates
from tests.integration.test_followup_run import MONDAY, Clock, add_lead, at, events, people, uow  # noqa: F401

LOOPS = "{% for a in range(1000) %}{% for b in range(1000) %}{{ a }}{% endfor %}{% endfor %}{{ unsubscribe_url }}"


def activate_unchecked(uow, body: str) -> None:
    """A SAMPLE_REQUEST version stored as it is, without the checks of saving (as an old row might be)."""
    with uow() as tx:
        tx.templates.add_version([EmailTemplate(
            name="sample-request", kind="SAMPLE_REQUEST", locale="de", version=2, variant="A", weight=100,
            subject="Hallo", body_html=body, body_text=body, variables={"declared": ["unsubscribe_url"]},
            active=False, created_at=MONDAY)])
        tx.templates.activate("sample-request", 2, MONDAY)
        tx.commit()


def test_a_template_past_the_limits_fails_the_step_fast_and_sends_nothing(uow, people):  # noqa: F811
    ensure_seed_templates(uow, MONDAY)
    activate_unchecked(uow, LOOPS)
    auto = FollowupAutomation(FollowupPolicy(), PublicHolidays(), lambda email: f"https://cockpit.example/u?{email}")
    add_lead(uow, auto, people["sales"], "Schleife")
    started = time.monotonic()
    summary = run_due_followups(uow, auto, Clock(at(2026, 11, 5, 10, 1)))
    assert time.monotonic() - started < 5
    assert summary.counts == {("T3", "failed"): 1}
    reason = events(uow, "followup.failed")[0]["reason"]
    assert reason.startswith("TemplateLimitError: the template exceeds a rendering limit: more than 100000")
    with uow(write=False) as tx:
        assert tx.session.scalars(select(EmailMessage)).all() == []
