"""The follow-up backlog over time: how many steps were due and not yet handled at given instants.

The cockpit's "due" numbers are a stock, not a flow, so their trend compares the backlog now with the
backlog at the end of the previous period, and the sparkline shows it at the end of each day. The past
is rebuilt from what the OLTP tables keep: a step claimed after an instant but planned before it was
waiting then; a lead still waiting now whose step fell due before it was waiting then too. A lead
whose pending step a reply or a conversion cancelled has left no trace, so past values are a floor.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data.followup_models import FollowupStepRecord
from data.models import Lead
from data.repositories import scoped_to
from domain.roles import Scope

STEPS = ("T3", "T7")


def backlog_at(session: Session, scope: Scope, instants: list[datetime]) -> dict[str, list[int]]:
    """{step: [backlog at each instant]} for `instants` in ascending order, in one scope. Two scans,
    one column per instant, so 31 instants cost what one does."""
    totals = {step: [0] * len(instants) for step in STEPS}
    if not instants:
        return totals
    for stmt in (_waiting_now(instants), _handled_later(instants)):
        for step, *counts in session.execute(scoped_to(stmt, scope)):
            if step in totals:
                totals[step] = [a + int(b or 0) for a, b in zip(totals[step], counts)]
    return totals


def _waiting_now(instants: list[datetime]):
    """Leads still waiting, by their next step (none sent yet: T3; T3 sent: T7), counted at each
    instant their step had fallen due by."""
    step = case((Lead.last_followup_step.is_(None), "T3"), (Lead.last_followup_step == "T3", "T7"), else_=None)
    columns = [func.sum(case((Lead.next_followup_at < at, 1), else_=0)) for at in instants]
    return (select(step, *columns).where(Lead.next_followup_at.is_not(None), Lead.next_followup_at < instants[-1])
            .group_by(step))


def _handled_later(instants: list[datetime]):
    """Steps claimed (sent, skipped or failed) after an instant though planned before it."""
    f = FollowupStepRecord
    columns = [func.sum(case((and_(f.planned_at < at, f.claimed_at >= at), 1), else_=0)) for at in instants]
    return (select(f.step, *columns).join(Lead, Lead.id == f.lead_id)
            .where(f.claimed_at >= instants[0], f.planned_at.is_not(None), f.planned_at < instants[-1])
            .group_by(f.step))
