"""Template versions in the database: which version is active, the versions of a name, activation.

Functions take the SQLAlchemy session of the caller's unit of work (`tx.session`), so reading and
changing templates happen in the caller's transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from data.models import EmailTemplate
from mailer.templates import TemplateSource

FALLBACK_LOCALE = "de"


def source_of(row: EmailTemplate) -> TemplateSource:
    declared = (row.variables or {}).get("declared", [])
    return TemplateSource(row.subject, row.body_html, row.body_text, tuple(declared))


def _active_rows(session: Session, kind: str, locale: str) -> list[EmailTemplate]:
    stmt = (select(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale,
                                        EmailTemplate.active.is_(True)).order_by(EmailTemplate.id.desc()))
    rows = list(session.scalars(stmt))
    if not rows:
        return []
    # Should two versions be flagged active (e.g. rows written outside activate()), the newest wins.
    newest = rows[0]
    return sorted((r for r in rows if (r.name, r.version) == (newest.name, newest.version)), key=lambda r: r.variant)


def active_version(session: Session, kind: str, locale: str) -> list[EmailTemplate]:
    """The variants of the active version for kind+locale, falling back to 'de', then to any locale."""
    for candidate in (locale, FALLBACK_LOCALE):
        rows = _active_rows(session, kind, candidate)
        if rows:
            return rows
    other = session.scalar(select(func.min(EmailTemplate.locale))
                           .where(EmailTemplate.kind == kind, EmailTemplate.active.is_(True)))
    return _active_rows(session, kind, other) if other else []


def all_rows(session: Session) -> list[EmailTemplate]:
    """Every template row; there are tens, not thousands (kinds x locales x versions x variants)."""
    return list(session.scalars(select(EmailTemplate).order_by(EmailTemplate.kind, EmailTemplate.locale,
                                                              EmailTemplate.name, EmailTemplate.version,
                                                              EmailTemplate.variant)))


def version_rows(session: Session, name: str, version: int | None = None) -> list[EmailTemplate]:
    """The variants of one version of `name`; its newest version when `version` is None."""
    if version is None:
        version = latest_version(session, name)
    stmt = (select(EmailTemplate).where(EmailTemplate.name == name, EmailTemplate.version == version)
            .order_by(EmailTemplate.variant))
    return list(session.scalars(stmt))


def latest_version(session: Session, name: str) -> int:
    return session.scalar(select(func.max(EmailTemplate.version)).where(EmailTemplate.name == name)) or 0


def exists_for(session: Session, kind: str, locale: str) -> bool:
    stmt = select(EmailTemplate.id).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale).limit(1)
    return session.scalar(stmt) is not None


def lock_for_seeding(session: Session) -> None:
    """Two processes starting at once must not both seed (SQLite's write transaction already serialises)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727004)"))


def add_version(session: Session, rows: list[EmailTemplate]) -> None:
    session.add_all(rows)
    session.flush()


def activate(session: Session, name: str, version: int, now: datetime) -> bool:
    """Make this version the only active one of its kind+locale; False when it does not exist."""
    rows = version_rows(session, name, version)
    if not rows:
        return False
    kind, locale = rows[0].kind, rows[0].locale
    session.execute(update(EmailTemplate).where(EmailTemplate.kind == kind, EmailTemplate.locale == locale)
                    .values(active=False))
    session.execute(update(EmailTemplate).where(EmailTemplate.name == name, EmailTemplate.version == version)
                    .values(active=True, activated_at=now))
    session.expire_all()
    return True
