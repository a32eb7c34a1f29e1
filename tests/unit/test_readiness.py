"""Conversion readiness, fact by fact, and the duplicate and similar-name checks."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from domain.readiness import QUALIFIED_SCORE, KnownCustomer, LeadFacts, assess, normalised_company

NOW = datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
READY = LeadFacts(company="Gasthaus Zur Linde GmbH", status="ACTIVE", score=80, estimated_volume=1500,
                  contact_name="Anna Berger", email="anna@linde.example", city="München", email_consent=True,
                  vat_id="DE123456789")
RECENT = [("CALL", NOW - timedelta(days=5))]


def test_a_complete_lead_is_ready():
    result = assess(READY, RECENT, [], NOW)
    assert result.ready and result.failing == [] and result.warnings == ()


@pytest.mark.parametrize("change,fact,reason", [
    (dict(score=QUALIFIED_SCORE - 1), "qualified", "not qualified: status ACTIVE and score 69 < 70"),
    (dict(estimated_volume=None), "volume_set", "no estimated volume"),
    (dict(estimated_volume=0), "volume_set", "no estimated volume"),
    (dict(contact_name=" "), "contact_complete", "contact data incomplete: no contact name"),
    (dict(email=None, city=None), "contact_complete", "contact data incomplete: no e-mail, no city"),
    (dict(email_consent=False), "consent", "no e-mail consent"),
])
def test_each_missing_fact_fails_with_its_reason(change, fact, reason):
    result = assess(replace(READY, **change), RECENT, [], NOW)
    assert not result.ready and result.facts[fact] is False and result.failing == [reason]


def test_status_qualified_counts_whatever_the_score():
    assert assess(replace(READY, status="QUALIFIED", score=10), RECENT, [], NOW).facts["qualified"]


@pytest.mark.parametrize("activities,ok", [
    ([], False),
    ([("NOTE", NOW - timedelta(days=1)), ("FOLLOW_UP", NOW - timedelta(days=2)), ("REPLY", NOW)], False),
    ([("MEETING", NOW - timedelta(days=61))], False),
    ([("MEETING", NOW - timedelta(days=60))], True),
    ([("SAMPLE_SENT", NOW - timedelta(days=30))], True),
    ([("ORDER", NOW - timedelta(hours=1))], True),
])
def test_progress_means_email_call_meeting_sample_or_order_within_60_days(activities, ok):
    assert assess(READY, activities, [], NOW).facts["recent_progress"] is ok


def test_a_customer_with_the_same_vat_id_or_email_blocks():
    by_vat = KnownCustomer(7, "Other Name", "x@y.example", "de 123.456.789", "Berlin")
    result = assess(READY, RECENT, [by_vat], NOW)
    assert not result.ready and result.duplicate.startswith("duplicate: customer #7") and "VAT id" in result.duplicate
    by_mail = KnownCustomer(8, "Other", "ANNA@linde.example", None, None)
    assert "same e-mail" in assess(READY, RECENT, [by_mail], NOW).duplicate


def test_a_similar_name_in_the_same_city_warns_but_does_not_block():
    similar = KnownCustomer(9, "Gasthaus zur Linde", "other@linde.example", None, "münchen")
    elsewhere = KnownCustomer(10, "Gasthaus Zur Linde", "far@linde.example", None, "Hamburg")
    different = KnownCustomer(11, "Hotel Alpenblick", "alp@example.com", None, "München")
    result = assess(READY, RECENT, [similar, elsewhere, different], NOW)
    assert result.ready and len(result.warnings) == 1 and "#9" in result.warnings[0]


def test_legal_forms_and_punctuation_do_not_count_for_the_name():
    assert normalised_company("Müller & Söhne GmbH & Co. KG") == normalised_company("Müller Söhne")
