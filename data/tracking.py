"""Opens and clicks per message (table email_tracking): the first of each kind is an event, repeats
are counted. One upsert per hit, so two hits at once still count two and emit one event. Also the
sent mail (and its template) that a tracking link names."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from data.models import Base, BigId, EmailMessage, EmailTemplate


class EmailTracking(Base):
    __tablename__ = "email_tracking"
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("email_messages.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "open" or "click"
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)


class SqlAlchemyTracking:
    def __init__(self, session: Session):
        self.session = session

    def hit(self, message_id: int, kind: str, now: datetime) -> int:
        """Count one open or click; returns the count, 1 for the first."""
        table = EmailTracking.__table__
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = (insert(table).values(message_id=message_id, kind=kind, first_at=now, last_at=now, count=1)
                .on_conflict_do_update(index_elements=["message_id", "kind"],
                                       set_={"count": table.c.count + 1, "last_at": now})
                .returning(table.c.count))
        return int(self.session.connection().execute(stmt).scalar_one())

    def counts(self, message_id: int) -> dict[str, int]:
        table = EmailTracking.__table__
        rows = self.session.connection().execute(table.select().where(table.c.message_id == message_id))
        return {row.kind: row.count for row in rows}

    def message(self, message_id: int) -> EmailMessage | None:
        return self.session.get(EmailMessage, message_id)

    def template(self, template_id: int) -> EmailTemplate | None:
        return self.session.get(EmailTemplate, template_id)

    def recent_sent(self, limit: int) -> list[int]:
        """The ids of the newest sent mails."""
        return list(self.session.scalars(select(EmailMessage.id).where(EmailMessage.status == "sent")
                                         .order_by(EmailMessage.id.desc()).limit(limit)))
