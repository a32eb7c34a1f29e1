"""The activity feed speaks to people: every event type has its words, and a feed line names the
company and what happened ("Acme GmbH — follow-up T+3 sent"), never a raw type or a bare lead id."""
from __future__ import annotations

import pytest

from components.cockpit_widget import recent_feed
from domain.event_phrases import PHRASES, phrase, short_name
from domain.events import CUSTOMER_CONVERTED, EVENT_TYPES, FOLLOWUP_REPLIED, FOLLOWUP_SENT


def test_every_event_type_has_its_own_words():
    assert set(PHRASES) == {e.name for e in EVENT_TYPES}
    for e in EVENT_TYPES:
        words = phrase(e.type, "T3", "POSITIVE")
        assert words and "." not in words and "_" not in words and "{" not in words, (e.name, words)


@pytest.mark.parametrize("event_type, step, label, words", [
    (FOLLOWUP_SENT, "T3", None, "follow-up T+3 sent"),
    (short_name(FOLLOWUP_SENT), "T7", None, "follow-up T+7 sent"),  # the replica's spelling
    (FOLLOWUP_SENT, None, None, "follow-up sent"),
    (FOLLOWUP_REPLIED, "T3", "OUT_OF_OFFICE", "replied (out of office)"),
    (FOLLOWUP_REPLIED, None, None, "replied"),
    (CUSTOMER_CONVERTED, None, None, "converted"),
    ("partner.order_placed", None, None, "partner order placed"),  # a type this version does not know
])
def test_phrases(event_type, step, label, words):
    assert phrase(event_type, step, label) == words


def test_a_feed_line_names_the_company_linked_to_its_lead_and_what_happened():
    feed = recent_feed([{"time": "2026-11-20 10:15:00", "lead_id": 42, "type": "followup.sent", "company": "Acme GmbH",
                         "what": "follow-up T+3 sent"},
                        {"time": "2026-11-20 09:00:00", "lead_id": 7, "type": "customer.converted", "company": None,
                         "what": "converted"}])
    first, second = feed.children
    link = first.children[1]
    assert (link.children, link.href) == ("Acme GmbH", "/leads/42")
    assert first.children[2] == " — follow-up T+3 sent"
    assert second.children[1].children == "Lead 7" and second.children[2] == " — converted"
