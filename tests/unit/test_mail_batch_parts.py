"""The parts the mail dispatcher's batches stand on: a rate limit that grants part of a batch, a
breaker that lets one trial through in half-open, and .eml bytes equal to the email package's."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from mailer.breaker import CircuitBreaker
from mailer.message import compose
from mailer.providers.eml import eml_bytes
from mailer.ratelimit import RateLimit


def test_a_batch_takes_what_every_window_has_room_for_and_the_window_slides():
    now = [0.0]
    limit = RateLimit(per_minute=5, per_hour=8, clock=lambda: now[0])
    assert limit.acquire_up_to(3) == 3 and limit.acquire_up_to(10) == 2 and limit.acquire_up_to(1) == 0
    assert not limit.has_room() and not limit.try_acquire()
    now[0] = 60.001  # the minute has passed; the hour allows 3 more
    assert limit.has_room() and limit.acquire_up_to(10) == 3 and limit.acquire_up_to(1) == 0
    now[0] = 3600.001
    assert limit.acquire_up_to(10) == 5  # the hour still holds the three taken at minute one


def test_a_half_open_breaker_lets_one_call_of_a_batch_through():
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=60, clock=lambda: now[0])
    assert breaker.begin_many(7) == 7
    breaker.failed()
    assert breaker.begin_many(7) == 0
    now[0] = 60.0
    assert breaker.begin_many(7) == 1 and breaker.begin_many(7) == 0
    breaker.succeeded()
    assert breaker.begin_many(7) == 7


def _mail(subject: str, html: str, text: str, to: str = "koch@restaurant.example"):
    return compose("lead-1/T3", to, subject, html, text, sender="Frischküche Vertrieb <vertrieb@frisch.example>",
                   secret="test-secret-key-0123456789", base_url="http://cockpit.test",
                   date=datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc))


def _unbounded(raw: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', raw)
    return raw.replace(boundary.group(1), b"B") if boundary else raw


@pytest.mark.parametrize("subject,html,text,to", [
    ("Wie war die Probe?", "<p>Hallo</p>", "Hallo", "koch@restaurant.example"),
    ("Grüße aus der Küche", "<p>Frische Grüße</p>\r\n<p>€</p>\n", "Grüße\n\nIhr Team\n", "koch@restaurant.example"),
    ("  zwei  Leerzeichen ", "<p>x</p>", "", "Anna Muster <anna@hotel.example>"),
    ("=?utf-8?q?kodiert?=", "x" * 1200, "lange Zeile", "koch@restaurant.example"),
    ("ohne HTML", "", "nur Text", "koch@restaurant.example"),
])
def test_eml_bytes_are_what_the_email_package_writes(subject, html, text, to):
    mail = _mail(subject, html, text, to)
    assert _unbounded(eml_bytes(mail)) == _unbounded(mail.to_mime().as_bytes())


def test_a_line_break_in_a_header_is_refused_as_by_the_email_package():
    with pytest.raises(ValueError):
        eml_bytes(_mail("Betreff\nBcc: alle@example.com", "<p>x</p>", "x"))
