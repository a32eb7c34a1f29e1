"""The A/B and ROI arithmetic against worked examples from the literature and by hand."""
from __future__ import annotations

import pytest

from domain.stats import (difference, holdout_bucket, in_holdout, incremental_revenue, roi, sends_per_arm, time_saved, verdict,
                          wilson)


@pytest.mark.parametrize("x, n, low, high", [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998a), table II, score method
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombes_worked_examples(x, n, low, high):
    interval = wilson(x, n)
    assert interval.estimate == pytest.approx(x / n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)


def test_wilson_without_trials_is_unknown_and_rejects_impossible_counts():
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(5, 3)


def test_difference_matches_newcombes_hybrid_score_example():
    # Newcombe (1998b), example (a): 56/70 - 48/80 = 0.2000, 95% CI 0.0524 to 0.3339
    diff = difference(56, 70, 48, 80)
    assert diff.estimate == pytest.approx(0.2)
    assert (round(diff.low, 4), round(diff.high, 4)) == (0.0524, 0.3339)
    assert diff.excludes_zero()


def test_sample_size_per_arm_matches_the_textbook_value():
    # 10% against 15%, two-sided 5%, power 80%: 686 per group (Fleiss without continuity correction)
    assert sends_per_arm(0.10, 0.15) == 686


def test_verdict_names_the_winner_when_the_interval_excludes_zero():
    result = verdict("A", 48, 80, "B", 56, 70)
    assert result.text == "B beats A on replies" and result.winner == "B"
    assert verdict("A", 56, 70, "B", 48, 80, metric="conversions").text == "A beats B on conversions"


def test_verdict_asks_for_more_sends_when_undecided():
    # 10/100 against 15/100: 686 per arm needed, so 586 + 586 more
    result = verdict("A", 10, 100, "B", 15, 100)
    assert result.winner is None and result.more_sends_needed == 1172
    assert result.text == "not enough data yet: need about 1,172 more sends"


def test_verdict_with_tiny_arms_never_declares_a_winner():
    result = verdict("A", 0, 10, "B", 10, 10)
    assert result.winner is None and result.more_sends_needed > 0


def test_verdict_without_difference_after_enough_sends():
    assert verdict("A", 1000, 10000, "B", 1001, 10000).text == "no clear difference between A and B on replies"


def test_roi_formula():
    assert roi(12_000, 2_000) == pytest.approx(5.0)  # (12000 - 2000) / 2000
    assert roi(1_000, 2_000) == pytest.approx(-0.5)
    assert roi(500, 0) is None


def test_time_saved_in_hours_and_money():
    saved = time_saved(120, minutes_per_followup=5, hourly_cost=48)
    assert saved.hours == pytest.approx(10) and saved.value == pytest.approx(480)


def test_holdout_is_deterministic_and_close_to_its_share():
    assert holdout_bucket(42) == holdout_bucket(42)
    assert holdout_bucket(42) == pytest.approx(0.1980744916)  # sha256('holdout-v1:42'), first 8 bytes
    share = sum(in_holdout(i, 0.1) for i in range(1, 20_001)) / 20_000
    assert 0.09 < share < 0.11
    assert not any(in_holdout(i, 0.0) for i in range(1, 1000))
    with pytest.raises(ValueError):
        in_holdout(1, 1.5)


def test_incremental_revenue_is_lift_times_leads_times_value_per_conversion():
    # 2,000 automated leads, 5 points more conversions (1 to 9 points), 80 conversions worth 400,000 EUR
    found = incremental_revenue(0.05, 0.01, 0.09, 2000, 400_000.0, 80)
    assert found.value_per_conversion == 5000.0
    assert (found.revenue, found.low, found.high) == pytest.approx((500_000.0, 100_000.0, 900_000.0))
    assert incremental_revenue(None, None, None, 2000, 400_000.0, 80) is None  # no lift measured yet
    assert incremental_revenue(0.05, 0.01, 0.09, 2000, 0.0, 0) is None  # no conversion to value
