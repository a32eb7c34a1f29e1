"""Template versions in the database (table email_templates): which version is active, the versions
of a name, activation, seeding. Read and changed in the caller's transaction (`tx.templates`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.locks import AdvisoryLock, hold_until_transaction_ends
from data.models import EmailTemplate

FALLBACK_LOCALE = "de"


class SqlAlchemyTemplates:
    def __init__(self, session: Session):
        self.session = session
        self._rendering: dict[tuple[str, str], list[EmailTemplate]] = {}

    def _active_rows(self, kind: str, locale: str) -> list[EmailTemplate]:
        stmt = (select(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale,
                                            EmailTemplate.active.is_(True)).order_by(EmailTemplate.id.desc()))
        rows = list(self.session.scalars(stmt))
        if not rows:
            return []
        # Should two versions be flagged active (e.g. rows written outside activate()), the newest wins.
        newest = rows[0]
        return sorted((r for r in rows if (r.name, r.version) == (newest.name, newest.version)),
                      key=lambda r: r.variant)

    def active_version(self, kind: str, locale: str) -> list[EmailTemplate]:
        """The variants of the active version for kind+locale, falling back to 'de', then to any locale."""
        for candidate in (locale, FALLBACK_LOCALE):
            rows = self._active_rows(kind, candidate)
            if rows:
                return rows
        other = self.session.scalar(select(func.min(EmailTemplate.locale))
                                    .where(EmailTemplate.kind == kind, EmailTemplate.active.is_(True)))
        return self._active_rows(kind, other) if other else []

    def active_for_rendering(self, kind: str, locale: str) -> list[EmailTemplate]:
        """`active_version`, looked up once per transaction: a follow-up run renders many mails in one."""
        key = (kind, locale)
        if key not in self._rendering:
            self._rendering[key] = self.active_version(kind, locale)
        return self._rendering[key]

    def all_rows(self) -> list[EmailTemplate]:
        """Every template row; there are tens, not thousands (kinds x locales x versions x variants)."""
        return list(self.session.scalars(select(EmailTemplate).order_by(
            EmailTemplate.kind, EmailTemplate.locale, EmailTemplate.name, EmailTemplate.version, EmailTemplate.variant)))

    def version_rows(self, name: str, version: int | None = None) -> list[EmailTemplate]:
        """The variants of one version of `name`; its newest version when `version` is None."""
        if version is None:
            version = self.latest_version(name)
        stmt = (select(EmailTemplate).where(EmailTemplate.name == name, EmailTemplate.version == version)
                .order_by(EmailTemplate.variant))
        return list(self.session.scalars(stmt))

    def latest_version(self, name: str) -> int:
        return self.session.scalar(select(func.max(EmailTemplate.version)).where(EmailTemplate.name == name)) or 0

    def exists_for(self, kind: str, locale: str) -> bool:
        stmt = select(EmailTemplate.id).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale).limit(1)
        return self.session.scalar(stmt) is not None

    def lock_for_seeding(self) -> None:
        """Two processes starting at once must not both seed (SQLite's write transaction already serialises)."""
        hold_until_transaction_ends(self.session, AdvisoryLock.TEMPLATE_SEEDING)

    def add_version(self, rows: list[EmailTemplate]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def activate(self, name: str, version: int, now: datetime) -> bool:
        """Make this version the only active one of its kind+locale; False when it does not exist."""
        rows = self.version_rows(name, version)
        if not rows:
            return False
        kind, locale = rows[0].kind, rows[0].locale
        self.session.execute(update(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale)
                             .values(active=False))
        self.session.execute(update(EmailTemplate).where(EmailTemplate.name == name, EmailTemplate.version == version)
                             .values(active=True, activated_at=now))
        self.session.expire_all()
        return True
