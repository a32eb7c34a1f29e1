"""The follow-up backlog over time: how many steps were due and not yet handled at given instants.

The cockpit's "due" numbers are a stock, not a flow, so their trend compares the backlog now with the
backlog at the end of the previous period, and the sparkline shows it at the end of each day. The past
is rebuilt from what the OLTP tables keep: a step claimed after an instant but planned before it was
waiting then; a lead still waiting now whose step fell due before it was waiting then too. A lead
whose pending step a reply or a conversion cancelled has left no trace, so past values are a floor.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session

from data.followup_models import FollowupStepRecord
from data.models import Lead
from data.repositories import scoped_to
from domain.model import MAIL_STEPS
from domain.roles import Scope

STEPS = tuple(step.value for step in MAIL_STEPS)


def backlog_at(session: Session, scope: Scope, instants: list[datetime]) -> dict[str, list[int]]:
    """{step: [backlog at each instant]} for `instants` in ascending order, in one scope.

    Each row is placed once between two instants (its bucket: the index of the first instant after
    it) and counted per bucket in SQL, so the database returns a few hundred groups at most and the
    cost barely grows with the number of instants."""
    totals = {step: [0] * len(instants) for step in STEPS}
    if not instants:
        return totals
    for step, due, n in session.execute(scoped_to(_waiting_now(instants), scope)):
        _add(totals, step, due, len(instants), n)
    for step, due, handled, n in session.execute(_handled_later(instants, scope)):
        _add(totals, step, due, handled, n)
    return totals


def _add(totals: dict[str, list[int]], step: str | None, first: int, stop: int, n: int) -> None:
    """Count `n` at the instants from index `first` (due by then) up to `stop` (handled by then)."""
    if step in totals:
        for k in range(first, min(stop, len(totals[step]))):
            totals[step][k] += int(n)


def _bucket(column, instants: list[datetime]):
    """The index of the first instant `column` lies before (len(instants) when after them all)."""
    return case(*[(column < at, i) for i, at in enumerate(instants)], else_=len(instants))


def _positions(count: int) -> list:
    """GROUP BY 1, 2, ...: PostgreSQL takes two CASEs with their own bound parameters for different
    expressions, so grouping by the expression itself is refused there."""
    return [literal_column(str(i)) for i in range(1, count + 1)]


def _waiting_now(instants: list[datetime]):
    """Leads still waiting, by their next step (none sent yet: T3; T3 sent: T7) and the instant from
    which their step had fallen due."""
    step = case((Lead.last_followup_step.is_(None), "T3"), (Lead.last_followup_step == "T3", "T7"), else_=None)
    due = _bucket(Lead.next_followup_at, instants)
    return (select(step, due, func.count()).where(Lead.next_followup_at.is_not(None), Lead.next_followup_at < instants[-1])
            .group_by(*_positions(2)))


def _handled_later(instants: list[datetime], scope: Scope):
    """Steps claimed (sent, skipped or failed) after an instant though planned before it: waiting
    from the planned bucket up to the claimed one. The scope is a list of lead ids rather than a join,
    so the recent claims are read by time first, however many leads the scope holds."""
    f = FollowupStepRecord
    due, handled = _bucket(f.planned_at, instants), _bucket(f.claimed_at, instants)
    stmt = (select(f.step, due, handled, func.count())
            .where(f.claimed_at >= instants[0], f.planned_at.is_not(None), f.planned_at < instants[-1])
            .group_by(*_positions(3)))
    return stmt if scope.everything else stmt.where(f.lead_id.in_(scoped_to(select(Lead.id), scope)))
