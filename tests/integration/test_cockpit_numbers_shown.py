"""What the cockpit shows, checked against the OLTP tables: the sent card counts the follow-ups sent in
the chosen period (and says which period), the recent activity names each lead's company and what
happened, and a drill-in into one member offers the way back to the team."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from components.cockpit_widget import back_to_team, kpi_cards, recent_feed
from data.models import EventRecord, Lead
from domain.event_phrases import phrase
from domain.events import FOLLOWUP_SENT
from services.cockpit_live import Window, cockpit_numbers
from tests.integration.test_projection import NOW, actor, world  # noqa: F401  (a fixture, used by name)


def rendered(component, wanted_id: str) -> str:
    """The text of the rendered component with this id (also inside a link it may carry)."""
    for node in walk(component):
        if getattr(node, "id", None) == wanted_id:
            return "".join(str(getattr(n, "children", n)) for n in walk(node) if isinstance(getattr(n, "children", None), (str, int, float)))
    raise AssertionError(f"nothing rendered with id {wanted_id}")


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def label_of(cards, key: str) -> str:
    body = next(n for n in walk(cards) if isinstance(getattr(n, "children", None), list)
                and any(getattr(k, "id", None) == f"kpi-{key}" for k in n.children))
    return body.children[0].children


def sent_in(deps, first, last, team_id: int) -> int:
    """Follow-up mails sent in [first, last] for leads of one team, counted from the event log itself."""
    with deps.uow.session_factory() as s:
        team_of = dict(s.execute(select(Lead.id, Lead.team_id)).all())
        rows = s.execute(select(EventRecord.data, EventRecord.time).where(EventRecord.type == FOLLOWUP_SENT)).all()
    return sum(1 for data, time in rows
               if first <= time.date() <= last and team_of.get(data["lead_id"]) == team_id)


@pytest.mark.parametrize("period, label", [("today", "Sent today"), ("7d", "Sent · last 7 days"),
                                           ("30d", "Sent · last 30 days")])
def test_the_sent_card_counts_the_follow_ups_sent_in_the_chosen_period(world, period, label):  # noqa: F811
    deps, manager = world["deps"], world["users"]["manager"]
    numbers = cockpit_numbers(deps, actor(manager), period)
    cards = kpi_cards(numbers)
    window = Window.of(period, NOW.date())
    expected = sent_in(deps, window.first, window.last, manager.team_id)
    assert rendered(cards, "kpi-sent") == f"{expected:g}" and label_of(cards, "sent") == label
    assert numbers.metrics["sent"].previous == sent_in(deps, window.previous_first, window.previous_last, manager.team_id)
    if period == "30d":
        assert expected > sent_in(deps, NOW.date(), NOW.date(), manager.team_id)  # the period, not just today


def test_recent_activity_names_the_company_and_what_happened(world):  # noqa: F811
    deps = world["deps"]
    numbers = cockpit_numbers(deps, actor(world["users"]["admin"]), "30d")
    assert numbers.recent
    with deps.uow.session_factory() as s:
        companies = dict(s.execute(select(Lead.id, Lead.company)).all())
    feed = recent_feed(numbers.recent)
    for row, line in zip(numbers.recent, feed.children):
        link = line.children[1]
        assert (link.children, link.href) == (companies[row["lead_id"]], f"/leads/{row['lead_id']}")
        assert line.children[2] == f" — {phrase(row['type'], row['step'], row['label'])}"


def test_a_member_drill_in_offers_the_way_back_to_the_team(world):  # noqa: F811
    deps, users = world["deps"], world["users"]
    manager, sales = users["manager"], users["sales"]
    drilled = cockpit_numbers(deps, actor(manager), "30d", member_id=sales.id)
    assert drilled.drilled_in and drilled.member_id == sales.id
    assert back_to_team(drilled).href == f"/?team={manager.team_id}&period=30d"
    assert not cockpit_numbers(deps, actor(manager), "30d").drilled_in
    assert not cockpit_numbers(deps, actor(sales), "30d", member_id=sales.id).drilled_in  # their own numbers
    assert back_to_team(cockpit_numbers(deps, actor(users["viewer"]), "30d", member_id=sales.id)) is None
