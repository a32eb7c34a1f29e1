"""SQLAlchemy 2 models: the OLTP schema. Alembic migrations under data/migrations create it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from data.types import UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict: JSON}


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AuthSession(Base):
    """One row per signed-in browser; deleting it ends that session even if the cookie is replayed."""

    __tablename__ = "auth_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(200))


class Lead(Base):
    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    business_type: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(80))
    country: Mapped[str] = mapped_column(String(2), default="DE")
    vat_id: Mapped[str | None] = mapped_column(String(20), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/Berlin")
    email_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int] = mapped_column(Integer, default=0)
    estimated_volume: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    registered_at: Mapped[datetime]
    sample_delivered_at: Mapped[datetime | None]
    clock_stopped_at: Mapped[datetime | None]
    last_followup_step: Mapped[str | None] = mapped_column(String(4))
    next_followup_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # The id another system gave it at registration (data.external_id): its later events may name it so (0010).
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    __table_args__ = (
        Index("ix_leads_team_status", "team_id", "status"),
        Index("ix_leads_registered_at", "registered_at"),
        Index("ix_leads_team_next_followup", "team_id", "next_followup_at"),  # the cockpit's due backlog
        Index("ix_leads_owner_next_followup", "owner_id", "next_followup_at"),
        # the leads grid's default order (newest first) within an owner's (whose scope always names the
        # team too) or a team's leads, and by score
        Index("ix_leads_team_owner_registered", "team_id", "owner_id", "registered_at"),
        Index("ix_leads_team_registered", "team_id", "registered_at"),
        Index("ix_leads_score", "score"),
    )


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    original_lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    company: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    vat_id: Mapped[str | None] = mapped_column(String(20), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    onboarding: Mapped[str] = mapped_column(String(16), default="PENDING")
    created_at: Mapped[datetime]


class Activity(Base):
    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    type: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    __table_args__ = (
        Index("ix_activities_lead_time", "lead_id", "occurred_at"),
        Index("ix_activities_type_time", "type", "occurred_at"),
    )


class EmailTemplate(Base):
    __tablename__ = "email_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    variant: Mapped[str] = mapped_column(String(8), default="A")
    weight: Mapped[int] = mapped_column(Integer, default=100)
    locale: Mapped[str] = mapped_column(String(8), default="de")
    subject: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    # `variables` holds {"declared": [...]}. One version per kind+locale is active (0004).
    activated_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("name", "version", "variant", name="uq_template_version_variant"),)


class EmailMessage(Base):
    __tablename__ = "email_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("email_templates.id"))
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # What the mail was rendered from (template id above) and the sender's facts (0004).
    template_version: Mapped[int | None] = mapped_column(Integer)
    template_variant: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[dict | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_email_messages_status_next", "status", "next_attempt_at"),)


class Suppression(Base):
    __tablename__ = "suppressions"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str] = mapped_column(String(24))
    source: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]


class EventRecord(Base):
    """The outbox and event log in one: written in the producer's transaction, tailed by the relay."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str | None] = mapped_column(String(200))
    time: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    datacontenttype: Mapped[str] = mapped_column(String(60), default="application/json")
    data: Mapped[dict | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Extension attributes other than idempotencykey, kept so the event is re-served as it came.
    extensions: Mapped[dict | None] = mapped_column(JSON)
    # sha256 of the canonical event: a repeated (source, id) with other content is a conflict.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("source", "id", name="uq_events_source_id"),
        Index("ix_events_subject_seq", "subject", "seq"),
        Index("ix_events_undelivered", "delivered_at", "seq"),
        Index("ix_events_type_time", "type", "time"),
    )


class InboxEntry(Base):
    """A consumer's record of an event it applied, written in the same transaction as the effect."""

    __tablename__ = "inbox"
    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime]


class ConversionRule(Base):
    __tablename__ = "conversion_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    expression: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16), default="CONVERT")
    priority: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
