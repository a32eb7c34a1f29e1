"""The demo data as a user of the demo tenant meets it: accounts that sign in, a believable pipeline
with recent follow-ups, replies and conversions, team scopes that differ, and a seed that repeats."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from data.db import make_engine, make_session_factory
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from data.migrate import upgrade
from services.auth import hash_password
from data.models import (Activity, ConversionRule, Customer, EmailTemplate, EventRecord, Lead, Team,
                         User)

NOW = datetime(2025, 3, 12, 14, 30, tzinfo=timezone.utc)  # a Wednesday afternoon
SMALL = 300
TABLES = (Team, User, Lead, Customer, Activity, EmailTemplate, ConversionRule, EventRecord)


def fresh_db(directory):
    engine = make_engine(f"sqlite:///{directory}/t.db")
    upgrade(engine)
    return make_session_factory(engine)


def seeded(directory, **kwargs):
    factory = fresh_db(directory)
    assert seed_demo(factory, hash_password=hash_password, **{"seed": 42, "leads": SMALL, "now": NOW, **kwargs}) is True
    return factory


def counts(factory) -> dict[str, int]:
    with factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in TABLES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return seeded(tmp_path_factory.mktemp("demo"))


def test_every_demo_account_signs_in_with_the_demo_password(demo):
    with demo() as s:
        users = {u.username: u for u in s.scalars(select(User))}
    assert set(DEMO_ACCOUNTS) <= set(users)
    assert {users[name].role for name in DEMO_ACCOUNTS} == {"admin", "manager", "sales", "analyst", "viewer"}
    # argon2 is slow on purpose; the accounts share one hash, so each distinct hash is checked once.
    for password_hash in {users[name].password_hash for name in DEMO_ACCOUNTS}:
        assert PasswordHasher().verify(password_hash, DEMO_PASSWORD)


def test_the_requested_number_of_leads_is_created(demo):
    with demo() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == SMALL
        assert s.scalar(select(func.count()).where(Lead.owner_id.is_(None))) == 0


def test_the_same_seed_gives_the_same_data(demo, tmp_path):
    again = seeded(tmp_path)

    def snapshot(factory):
        with factory() as s:
            leads = s.execute(select(Lead.company, Lead.email, Lead.status).order_by(Lead.id)).all()
            acts = s.execute(select(Activity.type, func.count()).group_by(Activity.type).order_by(Activity.type)).all()
            return leads, acts

    assert snapshot(again) == snapshot(demo)


def test_seeding_a_filled_database_does_nothing(demo):
    before = counts(demo)
    assert seed_demo(demo, hash_password=hash_password, seed=7, leads=50, now=NOW) is False
    assert counts(demo) == before
    assert before["events"] == 0  # the event log belongs to the event producers, not to the demo


def test_every_converted_lead_has_exactly_one_customer(demo):
    with demo() as s:
        converted = s.scalars(select(Lead.id).where(Lead.status == "CONVERTED")).all()
        customers = s.scalars(select(Customer.original_lead_id)).all()
        conversions = s.execute(select(Activity.lead_id, Activity.customer_id).where(Activity.type == "CONVERSION")).all()
    assert converted
    assert sorted(customers) == sorted(converted)
    assert sorted(lead for lead, _ in conversions) == sorted(converted)
    assert all(customer is not None for _, customer in conversions)


def test_the_last_week_has_t3_and_t7_follow_ups_and_replies(demo):
    with demo() as s:
        recent = s.execute(select(Activity.type, Activity.details)
                           .where(Activity.occurred_at >= NOW - timedelta(days=7), Activity.occurred_at < NOW)).all()
    steps = {details.get("step") for type_, details in recent if type_ == "FOLLOW_UP"}
    assert {"T3", "T7"} <= steps
    assert any(type_ == "REPLY" for type_, _ in recent)


def test_nothing_lies_in_the_future(demo):
    with demo() as s:
        assert s.scalar(select(func.max(Activity.occurred_at))) < NOW
        assert s.scalar(select(func.max(Lead.registered_at))) < NOW
        assert s.scalar(select(func.max(Customer.created_at))) < NOW


def test_some_follow_ups_are_due_within_a_day(demo):
    with demo() as s:
        due = s.scalar(select(func.count()).where(Lead.next_followup_at.is_not(None),
                                                  Lead.next_followup_at < NOW + timedelta(days=1)))
    assert due > 0


def test_each_manager_sees_a_different_team_with_leads(demo):
    with demo() as s:
        teams = s.scalars(select(User.team_id).where(User.role == "manager")).all()
        leads_by_team = {team: set(s.scalars(select(Lead.id).where(Lead.team_id == team))) for team in teams}
    assert len(teams) >= 2 and len(set(teams)) == len(teams)
    assert all(leads_by_team.values())
    assert not set.intersection(*leads_by_team.values())


def test_over_a_weekend_something_is_still_due(tmp_path):
    saturday = datetime(2025, 3, 15, 12, 0, tzinfo=timezone.utc)
    factory = seeded(tmp_path, now=saturday)
    with factory() as s:
        due = s.scalar(select(func.count()).where(Lead.next_followup_at < saturday + timedelta(days=1)))
    assert due > 0


def test_the_default_size_is_seeded(tmp_path):
    factory = fresh_db(tmp_path)
    assert seed_demo(factory, hash_password=hash_password, now=NOW) is True
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 2000
        recent = NOW - timedelta(days=14)
        assert s.scalar(select(func.count()).where(Activity.type == "CONVERSION", Activity.occurred_at >= recent)) > 0


def test_the_automated_leads_convert_measurably_better_than_the_holdout(tmp_path):
    """The ROI page's lift tells a plausible story: the holdout gets no automated mail and converts less."""
    from domain.stats import DEFAULT_HOLDOUT_SHARE, difference, in_holdout

    factory = seeded(tmp_path, leads=2000)  # the size `make run` seeds
    with factory() as s:
        consenting = s.scalars(select(Lead.id).where(Lead.email_consent.is_(True) | (Lead.status == "CONVERTED"))).all()
        converted = set(s.scalars(select(Customer.original_lead_id)).all())
        mailed = set(s.scalars(select(Activity.lead_id).where(Activity.type == "FOLLOW_UP")).all())
    held = [i for i in consenting if in_holdout(i, DEFAULT_HOLDOUT_SHARE)]
    treated = [i for i in consenting if not in_holdout(i, DEFAULT_HOLDOUT_SHARE)]
    assert held and not mailed & set(held), "the holdout gets no automated follow-up"
    lift = difference(len(converted & set(treated)), len(treated), len(converted & set(held)), len(held))
    assert lift.estimate > 0.02 and lift.low > 0, lift
