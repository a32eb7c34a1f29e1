"""Scope decisions: who sees which rows, whatever ids a caller sends."""
import pytest

from domain.roles import Actor, Forbidden, Page, Role, Scope, may_open, require, scope_for, sees_individuals

TEAMS = {1: 10, 2: 10, 3: 20, 4: None}  # user id -> team id
sales = Actor(1, "sales", Role.SALES, 10)
manager = Actor(2, "manager", Role.MANAGER, 10)
admin = Actor(4, "admin", Role.ADMIN, None)
viewer = Actor(5, "viewer", Role.VIEWER, None)
analyst = Actor(6, "analyst", Role.ANALYST, None)


def test_sales_user_is_held_to_own_leads_whatever_they_ask():
    assert scope_for(sales, team_id=20, user_id=3, member_team_of=TEAMS) == Scope(team_id=10, user_id=1)


def test_manager_sees_own_team_and_may_drill_into_a_member():
    assert scope_for(manager, member_team_of=TEAMS) == Scope(team_id=10)
    assert scope_for(manager, user_id=1, member_team_of=TEAMS) == Scope(team_id=10, user_id=1)


def test_manager_asking_for_another_team_or_its_member_gets_own_team():
    assert scope_for(manager, team_id=20, member_team_of=TEAMS) == Scope(team_id=10)
    assert scope_for(manager, user_id=3, member_team_of=TEAMS) == Scope(team_id=10)


def test_manager_without_team_sees_nothing():
    lonely = Actor(9, "m", Role.MANAGER, None)
    assert scope_for(lonely, member_team_of=TEAMS) == Scope(team_id=-1)


def test_admin_may_choose_any_team_or_everything():
    assert scope_for(admin, member_team_of=TEAMS).everything
    assert scope_for(admin, team_id=20, member_team_of=TEAMS) == Scope(team_id=20)
    assert scope_for(admin, user_id=3, member_team_of=TEAMS) == Scope(team_id=20, user_id=3)


def test_analyst_may_choose_anything_like_an_admin():
    assert scope_for(analyst, member_team_of=TEAMS).everything
    assert scope_for(analyst, team_id=10, member_team_of=TEAMS) == Scope(team_id=10)
    assert scope_for(analyst, user_id=1, member_team_of=TEAMS) == Scope(team_id=10, user_id=1)


def test_viewer_gets_team_or_overall_aggregates_never_one_member():
    assert scope_for(viewer, member_team_of=TEAMS).everything
    assert scope_for(viewer, team_id=20, member_team_of=TEAMS) == Scope(team_id=20)
    assert scope_for(viewer, user_id=1, member_team_of=TEAMS) == Scope()  # the overall aggregate
    assert scope_for(viewer, team_id=10, user_id=1, member_team_of=TEAMS) == Scope(team_id=10)
    assert scope_for(viewer, team_id=20, user_id=1, member_team_of=TEAMS) == Scope(team_id=20)


# Whoever asks for member 1 (sales, team 10): who gets one person's numbers, and whose.
@pytest.mark.parametrize("actor, expected", [
    (sales, Scope(team_id=10, user_id=1)), (manager, Scope(team_id=10, user_id=1)),
    (admin, Scope(team_id=10, user_id=1)), (analyst, Scope(team_id=10, user_id=1)), (viewer, Scope()),
])
def test_a_member_drill_down_by_role(actor, expected):
    assert scope_for(actor, user_id=1, member_team_of=TEAMS) == expected
    assert sees_individuals(actor) is (actor.role != Role.VIEWER)


@pytest.mark.parametrize("actor,page,allowed", [
    (sales, Page.ADMIN_USERS, False), (manager, Page.ADMIN_USERS, False), (admin, Page.ADMIN_USERS, True),
    (viewer, Page.LEADS, False), (sales, Page.LEADS, True), (viewer, Page.COCKPIT, True),
])
def test_pages_by_role(actor, page, allowed):
    assert may_open(actor, page) is allowed
    if not allowed:
        with pytest.raises(Forbidden):
            require(actor, page)
