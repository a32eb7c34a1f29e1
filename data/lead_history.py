"""The stored rows of leads, read as their history (demo/history.py tells them as events):
plain column rows per range of lead ids, no ORM objects (a first demo start waits for this)."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Activity, Customer, Lead, User


class SqlAlchemyLeadHistory:
    def __init__(self, session: Session):
        self.session = session

    def lead_ids(self) -> list[int]:
        return list(self.session.scalars(select(Lead.id).order_by(Lead.id)))

    def usernames(self) -> dict[int, str]:
        return dict(self.session.execute(select(User.id, User.username)).all())

    def leads(self, first_id: int, last_id: int) -> list:
        """Rows with id, company, business_type, city, owner_id, registered_at, sample_delivered_at."""
        return self.session.execute(select(Lead.id, Lead.company, Lead.business_type, Lead.city, Lead.owner_id,
                                           Lead.registered_at, Lead.sample_delivered_at)
                                    .where(Lead.id.between(first_id, last_id)).order_by(Lead.id)).all()

    def activities(self, first_id: int, last_id: int, types: tuple[str, ...]) -> dict[int, list]:
        """Per lead id, its activities of these types (id, lead_id, type, outcome, occurred_at, details), oldest first."""
        # The types are picked here, not in SQL: offered `type IN (...)`, SQLite (no statistics yet on a
        # first start) walks the type index through every lead's activities, 100 times slower.
        found, wanted = defaultdict(list), set(types)
        for a in self.session.execute(select(Activity.id, Activity.lead_id, Activity.type, Activity.outcome,
                                             Activity.occurred_at, Activity.details)
                                      .where(Activity.lead_id.between(first_id, last_id))
                                      .order_by(Activity.lead_id, Activity.occurred_at, Activity.id)):
            if a.type in wanted:
                found[a.lead_id].append(a)
        return found

    def customer_ids(self, first_id: int, last_id: int) -> dict[int, int]:
        """{lead id: id of the customer it became}."""
        return dict(self.session.execute(select(Customer.original_lead_id, Customer.id)
                                         .where(Customer.original_lead_id.between(first_id, last_id))).all())
