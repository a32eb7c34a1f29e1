"""The follow-up decisions at run time with a fixed clock: quiet hours, stale steps, every skip rule,
and what the mails offer."""
from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest

from domain.followups import (Action, Contact, FollowupPolicy, business_time, decide, due_after, mail_variables,
                              next_step, offer_for, sample_box, step_key)
from domain.model import Step
from tests.unit.followup_leads import BERLIN, HOLIDAYS, POLICY, due, lead_at, local


# --- the decision at run time ----------------------------------------------------------------------

def _due_lead(**kw):
    lead = lead_at(BERLIN, 2026, 11, 2, 10, 0, **kw)
    lead.next_followup_at = due(lead)
    return lead


def _decide(lead, now, contacts=(), **kw):
    return decide(lead, now, business_time(lead, POLICY, HOLIDAYS), contacts, **kw)


def test_a_due_step_inside_business_hours_is_sent():
    lead = _due_lead()
    d = _decide(lead, lead.next_followup_at + timedelta(minutes=2))
    assert (d.action, d.step) == (Action.SEND, Step.T3)


def test_quiet_hours_in_the_evening_move_the_step_to_the_next_morning():
    lead = _due_lead()
    d = _decide(lead, local(BERLIN, 2026, 11, 5, 18, 5))
    assert (d.action, d.reason, d.at) == (Action.REPLAN, "outside_business_hours", local(BERLIN, 2026, 11, 6, 8, 0))


def test_quiet_hours_early_in_the_morning_wait_for_the_opening_the_same_day():
    lead = _due_lead()
    lead.next_followup_at = local(BERLIN, 2026, 11, 5, 6, 0)
    assert _decide(lead, local(BERLIN, 2026, 11, 5, 7, 0)).at == local(BERLIN, 2026, 11, 5, 8, 0)


def test_a_holiday_is_quiet_all_day():
    lead = lead_at(BERLIN, 2025, 9, 29, 10, 0)
    lead.next_followup_at = local(BERLIN, 2025, 10, 3, 9, 0)
    d = _decide(lead, local(BERLIN, 2025, 10, 3, 10, 0))
    assert (d.action, d.at) == (Action.REPLAN, local(BERLIN, 2025, 10, 6, 8, 0))


def test_a_step_found_more_than_the_grace_period_late_is_replanned_not_sent():
    lead = _due_lead()  # due Thu 10:00
    d = _decide(lead, local(BERLIN, 2026, 11, 6, 10, 30))  # 24.5 h late, inside business hours
    assert (d.action, d.reason, d.at) == (Action.REPLAN, "stale", local(BERLIN, 2026, 11, 9, 8, 0))


def test_a_step_late_within_the_grace_period_is_still_sent():
    lead = _due_lead()
    assert _decide(lead, local(BERLIN, 2026, 11, 6, 9, 30)).action == Action.SEND  # 23.5 h late


def test_the_grace_period_is_configurable():
    lead = _due_lead()
    bt = business_time(lead, FollowupPolicy(stale_after=timedelta(hours=2)), HOLIDAYS)
    assert decide(lead, local(BERLIN, 2026, 11, 5, 12, 30), bt, []).reason == "stale"


def test_on_demand_ignores_the_schedule():
    lead = _due_lead()
    assert _decide(lead, local(BERLIN, 2026, 11, 7, 23, 0), on_demand=True).action == Action.SEND


def test_t7_only_after_t3_was_handled_then_the_reminder_check_then_nothing():
    assert [next_step(s) for s in (None, "T3", "T7", "REMIND")] == [Step.T3, Step.T7, Step.REMIND, None]


def test_after_t7_the_reminder_check_comes_two_business_days_later():
    lead = _due_lead(last_followup_step="T3")
    bt = business_time(lead, POLICY, HOLIDAYS)
    sent = local(BERLIN, 2026, 11, 11, 10, 0)  # Wed
    assert due_after(lead, Step.T7, sent, bt) == local(BERLIN, 2026, 11, 13, 10, 0)
    assert due_after(lead, Step.T3, local(BERLIN, 2026, 11, 5, 10, 0), bt) == local(BERLIN, 2026, 11, 11, 10, 0)
    assert due_after(lead, Step.REMIND, sent, bt) is None


# --- skip rules ------------------------------------------------------------------------------------

NOW = local(BERLIN, 2026, 11, 5, 10, 0)
START = local(BERLIN, 2026, 11, 2, 10, 0)


@pytest.mark.parametrize("change,contacts,reason", [
    ({"status": "CONVERTED"}, [], "converted"),
    ({"status": "LOST"}, [], "lost"),
    ({"clock_stopped_at": START + timedelta(days=1)}, [], "clock_stopped"),
    ({}, [Contact("REPLY", "POSITIVE", START + timedelta(hours=5))], "replied"),
    ({}, [Contact("REPLY", "UNSUBSCRIBE", START + timedelta(hours=5))], "unsubscribed"),
    ({"email_consent": False}, [], "no_consent"),
    ({"email": None}, [], "no_email"),
    ({}, [Contact("CALL", None, START + timedelta(days=1))], "meaningful_contact:CALL"),
    ({}, [Contact("EMAIL", None, START + timedelta(days=1))], "meaningful_contact:EMAIL"),
    ({}, [Contact("MEETING", None, START + timedelta(days=1))], "meaningful_contact:MEETING"),
    ({}, [Contact("SAMPLE_SENT", None, START + timedelta(days=1))], "meaningful_contact:SAMPLE_SENT"),
    ({}, [Contact("ORDER", None, START + timedelta(days=1))], "meaningful_contact:ORDER"),
])
def test_every_skip_rule_names_its_reason(change, contacts, reason):
    lead = replace(_due_lead(), **change)
    d = _decide(lead, NOW, contacts)
    assert (d.action, d.step, d.reason) == (Action.SKIP, Step.T3, reason)


@pytest.mark.parametrize("suppression,reason", [("hard_bounce", "bounced"), ("unsubscribe", "unsubscribed"),
                                                ("complaint", "unsubscribed")])
def test_a_suppressed_address_is_skipped_as_bounced_or_unsubscribed(suppression, reason):
    assert _decide(_due_lead(), NOW, suppression=suppression).reason == reason


@pytest.mark.parametrize("contact", [
    Contact("NOTE", None, START + timedelta(days=1)),  # not meaningful
    Contact("FOLLOW_UP", None, START + timedelta(days=1)),  # the automation itself
    Contact("REPLY", "OUT_OF_OFFICE", START + timedelta(days=1)),  # an absence notice is no answer
    Contact("CALL", None, START - timedelta(hours=1)),  # before the window
    Contact("CALL", None, NOW + timedelta(hours=1)),  # not yet happened
])
def test_what_does_not_stop_a_step(contact):
    assert _decide(_due_lead(), NOW, [contact]).action == Action.SEND


def test_t7_window_starts_when_t3_went_out():
    lead = _due_lead(last_followup_step="T3")
    lead.next_followup_at = local(BERLIN, 2026, 11, 11, 10, 0)
    now = lead.next_followup_at + timedelta(minutes=1)
    call_before_t3 = Contact("CALL", None, local(BERLIN, 2026, 11, 4, 10, 0))
    call_after_t3 = Contact("CALL", None, local(BERLIN, 2026, 11, 9, 10, 0))
    t3_sent = local(BERLIN, 2026, 11, 5, 10, 0)
    assert _decide(lead, now, [call_before_t3], previous_step_at=t3_sent).action == Action.SEND
    assert _decide(lead, now, [call_after_t3], previous_step_at=t3_sent).reason == "meaningful_contact:CALL"


def test_the_reminder_check_needs_no_consent_but_stops_on_an_answer():
    lead = _due_lead(last_followup_step="T7", email_consent=False)
    assert _decide(lead, NOW).action == Action.SEND
    assert _decide(lead, NOW, [Contact("REPLY", "NEUTRAL", START + timedelta(days=2))]).reason == "replied"


def test_skip_rules_apply_even_outside_business_hours():
    assert _decide(replace(_due_lead(), status="LOST"), local(BERLIN, 2026, 11, 7, 23, 0)).action == Action.SKIP


# --- content and keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("btype,percent,minimum", [("RESTAURANT", 15, 500), ("HOTEL", 20, 1000), ("CANTEEN", 25, 2000),
                                                  ("CATERING", 10, 300), ("OTHER", 10, 250), ("FOODTRUCK", 10, 250)])
def test_offer_by_business_type(btype, percent, minimum):
    offer = offer_for(btype)
    assert (offer.discount_percent, offer.min_order_eur) == (percent, minimum)


def test_the_sample_box_has_a_starter_box_an_addon_by_type_and_a_seasonal_item():
    winter, autumn = sample_box("HOTEL", 1), sample_box("HOTEL", 10)
    assert winter[0] == autumn[0] and winter[1] == autumn[1] == "Frühstücks-Set" and winter[2] != autumn[2]
    assert sample_box("CANTEEN", 10)[1] != sample_box("HOTEL", 10)[1]


def test_mail_variables_per_step():
    lead = _due_lead(business_type="HOTEL")
    t3, t7 = mail_variables(lead, Step.T3, NOW), mail_variables(lead, Step.T7, NOW)
    assert t3["products"] == list(sample_box("HOTEL", 11)) and t3["contact_name"] == "Anna Müller"
    assert (t7["discount_percent"], t7["min_order_eur"]) == (20, "1.000")


def test_the_step_key_is_deterministic_per_lead_step_and_clock_start():
    key = step_key(7, Step.T3, START)
    assert key == step_key(7, "T3", START.astimezone(BERLIN))
    assert len({key, step_key(7, Step.T7, START), step_key(8, Step.T3, START),
                step_key(7, Step.T3, START + timedelta(seconds=1))}) == 4


def test_business_slot_never_falls_on_a_closed_day():
    bt = business_time(_due_lead(), POLICY, HOLIDAYS)
    moment = local(BERLIN, 2025, 12, 24, 19, 0)
    for _ in range(200):
        moment = bt.next_opening(moment)
        assert bt.is_open(moment) and moment.astimezone(BERLIN).time() == time(8)
