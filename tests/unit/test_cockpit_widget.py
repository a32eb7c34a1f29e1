"""What the cockpit's KPI cards say: every number with its own trend, the backlog and positive
replies drawn beside their card's series."""
from __future__ import annotations

import pytest

from components.cockpit_widget import kpi_cards
from services.cockpit_live import CockpitNumbers, Metric

KEYS = ("t3_due", "t3_sent", "t7_due", "t7_sent", "sent_today", "sent", "replies", "positive",
        "conversions", "conversion_rate")


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def text(component) -> str:
    children = getattr(component, "children", None)
    if isinstance(children, (str, int, float)):
        return str(children)
    return "".join(text(c) if not isinstance(c, str) else c for c in (children or []) if c is not None)


def line_of(cards, span_id: str) -> str:
    """The detail line a span opens: its text and the trend after it."""
    for parent in walk(cards):
        kids = getattr(parent, "children", None)
        if isinstance(kids, list) and any(getattr(k, "id", None) == span_id for k in kids):
            i = next(i for i, k in enumerate(kids) if getattr(k, "id", None) == span_id)
            return text(kids[i]) + text(kids[i + 1])
    raise AssertionError(f"no {span_id}")


def numbers(period="7d", **metrics) -> CockpitNumbers:
    base = {key: Metric(0, 0, [0, 0]) for key in KEYS}
    return CockpitNumbers("Team Nord", period, 1, None, {**base, **metrics})



def test_the_due_backlog_has_its_own_neutral_trend_and_a_dotted_series_in_the_step_card():
    cards = kpi_cards(numbers(t3_due=Metric(12, 8, [8, 10, 12]), t3_sent=Metric(5, 5, [2, 3])))
    assert line_of(cards, "kpi-t3-due") == "12 due today ▲ 50% vs 7 days ago"
    graph = next(c for c in walk(cards) if getattr(c, "id", None) == "spark-t3")
    assert [trace["y"] for trace in graph.figure["data"]] == [[2, 3], [8, 10, 12]]
    neutral = [c for c in walk(cards) if "trend" in (getattr(c, "className", "") or "") and "50%" in text(c)]
    assert neutral and all("text-secondary" in c.className for c in neutral)  # a bigger backlog is not "good"


def test_positive_replies_and_sent_today_carry_their_own_trend():
    cards = kpi_cards(numbers(positive=Metric(3, 4, [1, 2]), replies=Metric(9, 6, [4, 5]), sent_today=Metric(7, 0, [7])))
    assert line_of(cards, "kpi-positive") == "3 positive ▼ 25% vs previous 7 days"
    assert line_of(cards, "kpi-sent-today") == "7 today ▲ new vs yesterday"
    graph = next(c for c in walk(cards) if getattr(c, "id", None) == "spark-replies")
    assert [trace["y"] for trace in graph.figure["data"]] == [[4, 5], [1, 2]]


def all_text(component) -> str:
    """Every string in a tree of components, in order."""
    parts = []
    for c in walk(component):
        kids = getattr(c, "children", None)
        parts += [str(k) for k in (kids if isinstance(kids, list) else [kids]) if isinstance(k, (str, int, float))]
    return " ".join(parts)


def card_of(cards, key: str):
    """The card body around the KPI value with id kpi-<key>."""
    return next(c for c in walk(cards) if isinstance(getattr(c, "children", None), list)
                and any(getattr(k, "id", None) == f"kpi-{key}" for k in c.children))


@pytest.mark.parametrize("period, label, against", [("today", "Sent today", "yesterday"),
                                                    ("7d", "Sent · last 7 days", "previous 7 days"),
                                                    ("30d", "Sent · last 30 days", "previous 30 days")])
def test_the_sent_card_counts_the_chosen_period_and_says_which(period, label, against):
    cards = kpi_cards(numbers(period, sent=Metric(40, 20, [1, 2]), sent_today=Metric(7, 7, [7])))
    card = card_of(cards, "sent")
    assert text(card.children[0]) == label and text(card.children[1]) == "40"
    assert f"▲ 100% vs {against}" in all_text(card)
    assert ("7 today" in all_text(card)) is (period != "today")  # the today period shows today's sends as its number

