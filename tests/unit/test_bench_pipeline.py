"""The pipeline bench's own logic: the paced schedule, a probe's lag from the pushes, the events it posts."""
import json

import pytest

from bench.pipeline_load import BATCHED, STRUCTURED, due_in, encode, newest_lead, probe_lags, registered


@pytest.mark.parametrize("index,now,expected", [(0, 10.0, 0.0), (3, 10.1, 0.2), (3, 10.3, 0.0), (3, 12.0, 0.0)])
def test_schedule_waits_for_the_due_time_and_never_shifts(index, now, expected):
    assert due_in(10.0, index, 0.1, now) == pytest.approx(expected)


def test_a_probe_is_seen_by_the_first_push_listing_it_or_a_later_lead():
    probes = [(1.0, 10), (2.0, 11), (3.0, 12)]
    pushes = [(0.5, 10), (1.25, 9), (1.5, 10), (2.75, 12)]  # 0.5 came before the post; 1.25 lists an older lead
    lags, unseen = probe_lags(probes, pushes, gave_up=9.0)
    assert lags == pytest.approx([500.0, 750.0, 6000.0]) and unseen == 1


def test_a_probe_that_never_became_a_lead_counts_until_the_bench_gave_up():
    lags, unseen = probe_lags([(1.0, None)], [(1.5, 99)], gave_up=4.0)
    assert lags == pytest.approx([3000.0]) and unseen == 1


def test_newest_lead_of_a_snapshot():
    assert newest_lead(json.dumps({"recent": [{"lead_id": 3}, {"lead_id": 17}, {"lead_id": None}]}).encode()) == 17
    assert newest_lead(b'{"version": 1, "recent": []}') == 0


def test_events_are_fresh_and_one_goes_structured_many_as_a_batch():
    events = registered("x.bench.example", "sales2", 3)
    assert len({e["id"] for e in events}) == 3 and all(e["data"]["email"].endswith("@x.bench.example") for e in events)
    assert encode(events[:1])[1] == STRUCTURED and json.loads(encode(events[:1])[0])["id"] == events[0]["id"]
    assert encode(events)[1] == BATCHED and len(json.loads(encode(events)[0])) == 3
