"""The call-task rules: a snooze counts from the later of now and the due date; "next week" is Monday
09:00 on the lead's clock (across a change to winter time too); overdue means due by now."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.tasks import call_task, is_overdue, snoozed_until

BERLIN, UTC = ZoneInfo("Europe/Berlin"), timezone.utc
NOW = datetime(2026, 10, 22, 14, 0, tzinfo=UTC)  # a Thursday; winter time starts on Sunday 25 October


@pytest.mark.parametrize("choice, due, expected", [
    ("1d", NOW - timedelta(days=5), NOW + timedelta(days=1)),  # overdue: from now
    ("3d", NOW + timedelta(days=2), NOW + timedelta(days=5)),  # due later: from the due date
    ("next_week", NOW, datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)),  # Monday, 09:00 CET (UTC+1 by then)
    ("next_week", datetime(2026, 10, 26, 8, 0, tzinfo=UTC), datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)),
])
def test_snoozes(choice, due, expected):
    assert snoozed_until(choice, due, NOW, BERLIN) == expected


def test_next_week_on_a_sunday_is_the_next_day_and_tokyo_has_its_own_monday():
    sunday = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert snoozed_until("next_week", sunday, sunday, BERLIN) == datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)
    assert snoozed_until("next_week", sunday, sunday, ZoneInfo("Asia/Tokyo")) == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def test_an_unknown_snooze_is_refused_and_overdue_is_due_by_now():
    with pytest.raises(ValueError):
        snoozed_until("forever", NOW, NOW, BERLIN)
    assert is_overdue(NOW, NOW) and not is_overdue(NOW + timedelta(seconds=1), NOW)
    task = call_task(7, "k", NOW, NOW + timedelta(days=1))
    assert (task["lead_id"], task["kind"], task["done_at"], task["snoozes"]) == (7, "CALL", None, 0)
