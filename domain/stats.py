"""A/B and ROI arithmetic for the analytics pages (DESIGN section 6): standard library only.

Intervals are 95% two-sided. Wilson's score interval behaves at 0 and n (where the plain normal
interval collapses); Newcombe's hybrid score interval for a difference builds on it.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95%
Z_POWER80 = 0.8416212335729143  # one-sided 80% power
MIN_PER_ARM = 30  # below this a verdict is noise whatever the interval says


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """Wilson score interval of successes/trials; None when there were no trials."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p, z2 = successes / trials, z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def difference(successes_b: int, trials_b: int, successes_a: int, trials_a: int) -> Interval | None:
    """p_b - p_a with Newcombe's hybrid score interval (method 10, 1998); None without trials on a side."""
    b, a = wilson(successes_b, trials_b), wilson(successes_a, trials_a)
    if a is None or b is None:
        return None
    d = b.estimate - a.estimate
    low = d - math.sqrt((b.estimate - b.low) ** 2 + (a.high - a.estimate) ** 2)
    high = d + math.sqrt((b.high - b.estimate) ** 2 + (a.estimate - a.low) ** 2)
    return Interval(d, low, high)


def sends_per_arm(p_a: float, p_b: float) -> int:
    """Sends each variant needs to tell p_a from p_b (two-sided 5%, power 80%, normal approximation)."""
    delta = abs(p_b - p_a)
    if delta == 0:
        raise ValueError("equal rates cannot be told apart")
    pooled = (p_a + p_b) / 2
    numerator = Z95 * math.sqrt(2 * pooled * (1 - pooled)) + Z_POWER80 * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return math.ceil(numerator ** 2 / delta ** 2)


@dataclass(frozen=True)
class Verdict:
    text: str
    winner: str | None  # the variant name, or None
    more_sends_needed: int = 0


def verdict(name_a: str, successes_a: int, trials_a: int, name_b: str, successes_b: int, trials_b: int,
            metric: str = "replies", min_effect: float = 0.02) -> Verdict:
    """A plain sentence about two variants on one metric (replies or conversions, never opens).

    When the interval of the difference still spans zero, the sample size needed to see the observed
    difference (at least `min_effect`, absolute) says how many more sends both arms need together.
    """
    diff = difference(successes_b, trials_b, successes_a, trials_a)
    if diff is not None and min(trials_a, trials_b) >= MIN_PER_ARM and diff.excludes_zero():
        winner, loser = (name_b, name_a) if diff.estimate > 0 else (name_a, name_b)
        return Verdict(f"{winner} beats {loser} on {metric}", winner)
    p_a = successes_a / trials_a if trials_a else 0.0
    p_b = successes_b / trials_b if trials_b else 0.0
    if abs(p_b - p_a) < min_effect:  # plan for the smallest difference worth acting on
        p_b = min(1.0, p_a + min_effect) if p_a + min_effect <= 1 else p_a - min_effect
    needed = max(sends_per_arm(p_a, p_b), MIN_PER_ARM)
    more = max(0, needed - trials_a) + max(0, needed - trials_b)
    if more == 0:
        return Verdict(f"no clear difference between {name_a} and {name_b} on {metric}", None)
    return Verdict(f"not enough data yet: need about {more:,} more sends", None, more)


def roi(attributed_revenue: float, cost: float) -> float | None:
    """(revenue - cost) / cost; None when nothing was spent (the ratio has no meaning then)."""
    if cost <= 0:
        return None
    return (attributed_revenue - cost) / cost


@dataclass(frozen=True)
class Incremental:
    """Revenue the automation added, by the holdout: lift x treated leads x value per conversion (EUR)."""

    revenue: float
    low: float
    high: float
    value_per_conversion: float


def incremental_revenue(lift: float | None, low: float | None, high: float | None, treated_leads: int,
                        revenue: float, conversions: int) -> Incremental | None:
    """None without a lift (too few leads in a group) or without a conversion to value."""
    if lift is None or low is None or high is None or conversions <= 0:
        return None
    value = revenue / conversions
    return Incremental(lift * treated_leads * value, low * treated_leads * value, high * treated_leads * value, value)


@dataclass(frozen=True)
class TimeSaved:
    hours: float
    value: float  # in the currency of the hourly cost


def time_saved(followups_sent: int, minutes_per_followup: float, hourly_cost: float) -> TimeSaved:
    """The time a person would have spent writing the automated follow-ups by hand, and its cost."""
    hours = followups_sent * minutes_per_followup / 60
    return TimeSaved(hours, hours * hourly_cost)


def holdout_bucket(lead_id: int, salt: str = "holdout-v1") -> float:
    """A number in [0, 1) fixed by the lead id: the same lead always lands in the same bucket."""
    digest = hashlib.sha256(f"{salt}:{lead_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


DEFAULT_HOLDOUT_SHARE = 0.1  # the ROI page's holdout share until an admin sets another


def in_holdout(lead_id: int, share: float, salt: str = "holdout-v1") -> bool:
    """Whether a lead belongs to the holdout group that gets no automated follow-up."""
    if not 0 <= share < 1:
        raise ValueError(f"holdout share {share} outside [0, 1)")
    return holdout_bucket(lead_id, salt) < share
