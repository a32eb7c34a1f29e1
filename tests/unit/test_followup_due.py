"""The follow-up clock with a fixed time: business days, weekends, holidays, time zones and DST
(the decisions at run time: test_followup_decisions.py)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.followups import FollowupPolicy, NoHolidays, business_time
from domain.model import Step
from tests.unit.followup_leads import BERLIN, NEW_YORK, POLICY, UTC, ZURICH, Lead, due, lead_at, local


# --- business days, weekends, holidays ------------------------------------------------------------

def test_t3_counts_three_business_days_at_the_same_local_time():
    assert due(lead_at(BERLIN, 2026, 11, 2, 10, 0)) == local(BERLIN, 2026, 11, 5, 10, 0)  # Mon -> Thu


def test_t7_counts_seven_business_days_over_a_weekend():
    assert due(lead_at(BERLIN, 2026, 11, 2, 10, 0), Step.T7) == local(BERLIN, 2026, 11, 11, 10, 0)  # Mon -> Wed


def test_a_friday_start_skips_the_weekend():
    assert due(lead_at(BERLIN, 2026, 11, 6, 10, 0)) == local(BERLIN, 2026, 11, 11, 10, 0)  # Fri -> Wed


def test_a_saturday_delivery_counts_from_monday_morning():
    lead = lead_at(BERLIN, 2026, 11, 2, 10, 0, sample_delivered_at=local(BERLIN, 2026, 11, 7, 15, 0))
    assert due(lead) == local(BERLIN, 2026, 11, 12, 8, 0)  # Sat -> Mon 08:00 -> Thu 08:00


def test_an_evening_start_counts_from_the_next_morning():
    assert due(lead_at(BERLIN, 2026, 11, 2, 20, 0)) == local(BERLIN, 2026, 11, 6, 8, 0)  # Mon 20:00 -> Fri 08:00


def test_the_sample_delivery_starts_the_clock_not_the_registration():
    lead = lead_at(BERLIN, 2026, 10, 26, 9, 0, sample_delivered_at=local(BERLIN, 2026, 11, 2, 11, 30))
    assert due(lead) == local(BERLIN, 2026, 11, 5, 11, 30)


def test_german_unity_day_is_skipped_in_germany():
    lead = lead_at(BERLIN, 2025, 9, 30, 10, 0)  # Tue; Fri 3 Oct 2025 is a holiday
    assert due(lead) == local(BERLIN, 2025, 10, 6, 10, 0)


def test_german_unity_day_counts_in_switzerland():
    lead = lead_at(ZURICH, 2025, 9, 30, 10, 0, country="CH")
    assert due(lead) == local(ZURICH, 2025, 10, 3, 10, 0)


def test_swiss_national_day_is_skipped_in_switzerland_only():
    ch = lead_at(ZURICH, 2025, 7, 29, 10, 0, country="CH")  # Fri 1 Aug 2025
    de = lead_at(BERLIN, 2025, 7, 29, 10, 0)
    assert due(ch) == local(ZURICH, 2025, 8, 4, 10, 0)
    assert due(de) == local(BERLIN, 2025, 8, 1, 10, 0)


def test_christmas_both_days_in_germany_one_day_in_switzerland():
    assert due(lead_at(BERLIN, 2025, 12, 22, 10, 0)) == local(BERLIN, 2025, 12, 29, 10, 0)
    assert due(lead_at(ZURICH, 2025, 12, 22, 10, 0, country="CH")) == local(ZURICH, 2025, 12, 26, 10, 0)


def test_austria_has_its_own_holidays():
    lead = lead_at(ZoneInfo("Europe/Vienna"), 2026, 10, 21, 10, 0, country="AT")  # Mon 26 Oct: National Day
    assert due(lead) == local(ZoneInfo("Europe/Vienna"), 2026, 10, 27, 10, 0)


def test_holidays_off_counts_them_as_business_days():
    lead = lead_at(BERLIN, 2025, 9, 30, 10, 0)
    assert due(lead, policy=FollowupPolicy(holidays=False)) == local(BERLIN, 2025, 10, 3, 10, 0)


def test_configurable_business_days_include_saturday():
    policy = FollowupPolicy(business_days=frozenset(range(6)))
    assert due(lead_at(BERLIN, 2026, 11, 6, 10, 0), policy=policy) == local(BERLIN, 2026, 11, 10, 10, 0)  # Fri -> Tue


# --- time zones and daylight saving ---------------------------------------------------------------

def test_dst_start_in_march_keeps_the_local_time():
    lead = lead_at(BERLIN, 2026, 3, 26, 10, 0)  # Thu, CET; clocks go forward Sun 29 March
    assert due(lead) == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # Tue 10:00 CEST


def test_dst_end_in_october_keeps_the_local_time():
    lead = lead_at(BERLIN, 2026, 10, 22, 10, 0)  # Thu, CEST; clocks go back Sun 25 October
    assert due(lead) == datetime(2026, 10, 27, 9, 0, tzinfo=UTC)  # Tue 10:00 CET


def test_new_york_lead_counts_in_its_own_zone_across_its_dst_change():
    lead = lead_at(NEW_YORK, 2026, 3, 5, 10, 0, country="US")  # US clocks go forward Sun 8 March
    assert due(lead, calendar=NoHolidays()) == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # Tue 10:00 EDT


def test_business_hours_are_the_leads_local_hours():
    bt = business_time(lead_at(NEW_YORK, 2026, 11, 2, 10, 0, country="US"), POLICY, NoHolidays())
    assert not bt.is_open(datetime(2026, 11, 4, 12, 30, tzinfo=UTC))  # 07:30 in New York
    assert bt.is_open(datetime(2026, 11, 4, 13, 0, tzinfo=UTC))  # 08:00 in New York
    assert not bt.is_open(datetime(2026, 11, 4, 23, 0, tzinfo=UTC))  # 18:00 in New York


def test_an_unknown_time_zone_falls_back_to_berlin():
    lead = Lead(registered_at=local(BERLIN, 2026, 11, 2, 10, 0), timezone="Mars/Olympus")
    assert due(lead) == local(BERLIN, 2026, 11, 5, 10, 0)



def test_a_lead_registered_at_the_end_of_the_storable_range_gets_no_step_it_could_not_log():
    from services.followups import planned_at

    late = Lead(registered_at=datetime(2200, 1, 1, tzinfo=UTC))
    assert planned_at(late, late.registered_at, POLICY, NoHolidays()) is None
