"""The template preview renders with a lead the caller may see: a manager's own team, anyone's for
admins and analysts, and a made-up example lead when the caller's scope holds none."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from data.models import Lead, Team
from mailer.templates import TemplateSource
from services import templates as svc
from tests.conftest import make_settings
from tests.integration.test_mail_templates_admin import actor

FOOT = "\n{{ unsubscribe_url }}"
SHOW_COMPANY = TemplateSource("Hi {{ company }}", "<p>{{ company }}</p>" + FOOT, "{{ company }}" + FOOT, ("company",))
FOREIGN = "Hotel Fremdes Team 4711"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, relay_enabled=False, demo_leads=40)


@pytest.fixture
def uow(app):
    return app.extensions["cockpit"].uow


def team_id(uow, name: str) -> int:
    with uow(write=False) as tx:
        return tx.session.scalar(select(Team.id).where(Team.name == name))


def first_lead_moved_to(uow, team: int) -> int:
    """The lead an unscoped preview would pick (the first with an address), now in `team`."""
    with uow() as tx:
        lead = tx.session.scalar(select(Lead).where(Lead.email.is_not(None)).order_by(Lead.id).limit(1))
        lead.team_id, lead.company = team, FOREIGN
        tx.commit()
        return lead.id


def shown(preview) -> str:
    return " ".join((preview.subject, preview.html, preview.text))


def test_a_manager_never_previews_with_a_lead_of_another_team(uow):
    foreign_id = first_lead_moved_to(uow, team_id(uow, "Süd"))
    manager = actor(uow, "manager")  # team Nord
    for lead_id in (None, foreign_id):
        preview = svc.preview(uow, manager, "welcome-en", SHOW_COMPANY, lead_id=lead_id)
        assert FOREIGN not in shown(preview)
    with uow(write=False) as tx:
        own = set(tx.session.scalars(select(Lead.company).where(Lead.team_id == manager.team_id)))
    assert svc.preview(uow, manager, "welcome-en", SHOW_COMPANY).text.split("\n")[0] in own
    assert FOREIGN in shown(svc.preview(uow, actor(uow, "analyst"), "welcome-en", SHOW_COMPANY))


def test_with_no_lead_in_scope_the_preview_uses_a_made_up_example(uow):
    nord, sued = team_id(uow, "Nord"), team_id(uow, "Süd")
    with uow() as tx:
        tx.session.execute(update(Lead).where(Lead.team_id == sued).values(team_id=nord))
        tx.commit()
    preview = svc.preview(uow, actor(uow, "manager2"), "welcome-en", SHOW_COMPANY)
    assert preview.subject == "Hi Example GmbH" and preview.text.startswith("Example GmbH\n")
    with uow(write=False) as tx:
        assert "Example GmbH" not in set(tx.session.scalars(select(Lead.company)))
