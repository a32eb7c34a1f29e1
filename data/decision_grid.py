"""The Conversions page's decisions, grouped: identical decisions (the same verdict by the same rule
version or readiness fact) as one group, and within a group one row per lead with how often it was
decided so, when last, and why the last time. Each read is one statement."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.conversion_models import ConversionDecision as D
from data.grid_filters import GridWindow, condition
from data.models import ConversionRule, Lead, User
from data.repositories import scoped_to
from domain.roles import Scope


@dataclass(frozen=True)
class DecisionKey:
    """What makes decisions identical: the verdict and what decided it."""

    decision: str
    rule_id: int | None = None
    rule_version: int | None = None
    fact: str | None = None


_KEY = (D.decision, D.rule_id, D.rule_version, D.fact)


def _same(key: DecisionKey):
    return and_(D.decision == key.decision, D.rule_id.is_(None) if key.rule_id is None else D.rule_id == key.rule_id,
                D.rule_version.is_(None) if key.rule_version is None else D.rule_version == key.rule_version,
                D.fact.is_(None) if key.fact is None else D.fact == key.fact)


class SqlAlchemyDecisionGrid:
    def __init__(self, session: Session):
        self.session = session

    def groups(self, scope: Scope) -> list[dict]:
        """One row per kind of decision in scope: how many decisions, on how many leads, the latest when."""
        grouped = scoped_to(select(*_KEY, func.count().label("decisions"), func.count(D.lead_id.distinct()).label("leads"),
                                   func.max(D.decided_at).label("latest"), func.max(D.id).label("newest"))
                            .join(Lead, Lead.id == D.lead_id), scope).group_by(*_KEY).subquery()
        stmt = (select(grouped, ConversionRule.name.label("rule_name"), D.reasons)
                .outerjoin(ConversionRule, ConversionRule.id == grouped.c.rule_id).join(D, D.id == grouped.c.newest)
                .order_by(grouped.c.latest.desc(), grouped.c.newest.desc()))
        return [dict(row._mapping) for row in self.session.execute(stmt)]

    def page(self, scope: Scope, key: DecisionKey | None, window: GridWindow) -> tuple[list[dict], int]:
        """One row per lead and kind of decision (of `key` only, if given), in the window's order, and
        how many such rows there are."""
        per_lead = select(D.lead_id, *_KEY, func.count().label("times"), func.max(D.decided_at).label("latest"),
                          func.max(D.id).label("newest")).join(Lead, Lead.id == D.lead_id)
        per_lead = scoped_to(per_lead.where(_same(key)) if key else per_lead, scope).group_by(D.lead_id, *_KEY).subquery()
        columns = {"latest": per_lead.c.latest, "company": Lead.company, "status": Lead.status,
                   "decision": per_lead.c.decision, "times": per_lead.c.times}
        where = [condition(self.session, columns[f.column], f) for f in window.filters]
        joined = lambda stmt: stmt.join(Lead, Lead.id == per_lead.c.lead_id).where(*where)  # noqa: E731
        total = joined(select(func.count()).select_from(per_lead)).correlate(None).scalar_subquery()
        order = [columns[c].desc() if desc else columns[c].asc() for c, desc in window.sort]
        stmt = (joined(select(per_lead, Lead.company, Lead.status, D.reasons, User.username.label("by"),
                              ConversionRule.name.label("rule_name"), total.label("total")).select_from(per_lead))
                .join(D, D.id == per_lead.c.newest).outerjoin(User, User.id == D.decided_by)
                .outerjoin(ConversionRule, ConversionRule.id == per_lead.c.rule_id)
                .order_by(*order, per_lead.c.newest.desc()).offset(window.offset).limit(window.limit))
        rows = [dict(row._mapping) for row in self.session.execute(stmt)]
        if not rows:  # a window past the end has no row to carry the total
            return [], int(self.session.scalar(select(total)) or 0) if window.offset else 0
        return rows, int(rows[0]["total"])
