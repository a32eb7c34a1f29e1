"""What the repair of unlinked registrations reads (services/registration_links.py): the applied
registrations from other systems that no `lead.created` names yet, and the leads of their companies."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import EventRecord, Lead

COMPANY_CHUNK = 500  # bound parameters per IN list


class SqlAlchemyRegistrationLinks:
    def __init__(self, session: Session):
        self.session = session

    def _count(self, *where) -> int:
        return self.session.scalar(select(func.count()).select_from(EventRecord).where(*where))

    def unlinked(self, registered: str, created: str, own_source_prefix: str) -> list:
        """Rows (source, id, data) of the `registered` events from other systems, applied already, that
        no `created` event names as its registered_source and registered_id; data is always a dict."""
        # Applied registrations only: the relay links the others itself when it creates their leads.
        external = (~EventRecord.source.startswith(own_source_prefix), EventRecord.delivered_at.is_not(None))
        if self._count(EventRecord.type == registered, *external) <= self._count(EventRecord.type == created):
            return []  # the usual start: every registration is linked (two indexed counts)
        registrations = self.session.execute(select(EventRecord.source, EventRecord.id, EventRecord.data)
                                             .where(EventRecord.type == registered, *external)).all()
        linked = {(d.get("registered_source"), d.get("registered_id"))
                  for d in self.session.scalars(select(EventRecord.data).where(EventRecord.type == created))
                  if isinstance(d, dict)}
        return [r for r in registrations if (r.source, r.id) not in linked and isinstance(r.data, dict)]

    def leads_of_companies(self, companies: list[str]) -> list[Lead]:
        """The leads of these companies, in id order per chunk of names."""
        found = []
        for start in range(0, len(companies), COMPANY_CHUNK):
            found += self.session.scalars(select(Lead).where(Lead.company.in_(companies[start:start + COMPANY_CHUNK]))
                                          .order_by(Lead.id))
        return found
