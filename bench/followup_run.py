"""The follow-up job at scale: one run over `leads` leads with a realistic share due, through the real
renderer (sandboxed Jinja2 templates) and the real queue; then the mail dispatcher draining what was
queued with the `file` provider. Its own SQLite file, so the page measurements are not disturbed.

Due share: with ~2 steps per lead spread over the ~45 business days a lead stays in the sequence,
about 4-5% of all leads have a step due on a given day; a run after a day's outage meets that much
at once: the worst case for the aim of a follow-up run over 100,000 leads within 20 s.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

from config import load_settings
from data.db import make_engine, make_session_factory
from data.migrate import upgrade
from data.models import Activity, EmailMessage, Lead, Team, User
from data.uow import SqlAlchemyUnitOfWork
from mailer.dispatcher import build_dispatcher
from services.followups import automation_from_settings, run_due_followups
from services.templates import ensure_seed_templates

DUE_SHARE = 0.05
DRAIN_MAX = 2000  # mails the dispatcher sends for its rate (the provider writes one .eml each)
RUN_AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday, 11:00 in Berlin: business hours
TYPES = ("RESTAURANT", "HOTEL", "CANTEEN", "CATERING", "OTHER")


def _settings(folder: Path):
    return load_settings(environ={}, overrides={
        "var_dir": folder, "database_url": f"sqlite:///{folder / 'followups.db'}", "analytics_path": folder / "f.duckdb",
        "secret_key": "bench-secret-key-0123456789", "demo": True, "api_token": "bench-token",
        "metrics_token": "bench-metrics", "mail_dir": folder / "followup-mail",
        "mail_rate_per_minute": 100_000, "mail_rate_per_hour": 1_000_000})  # measure the core, not the limit


def _lead(rng: random.Random, i: int, owner: User) -> dict:
    registered = RUN_AT - timedelta(days=rng.uniform(2, 60))
    due = rng.random() < DUE_SHARE
    return {"company": f"Betrieb {i}", "contact_name": "Anna Muster", "email": f"kontakt@betrieb-{i}.example",
            "business_type": rng.choice(TYPES), "owner_id": owner.id, "team_id": owner.team_id, "country": "DE",
            "timezone": "Europe/Berlin", "email_consent": rng.random() < 0.95, "status": "ACTIVE",
            "registered_at": registered, "updated_at": registered, "score": 50,
            "last_followup_step": rng.choice((None, "T3")) if due else rng.choice((None, "T3", "T7")),
            "next_followup_at": RUN_AT - timedelta(minutes=rng.randint(1, 30)) if due
            else RUN_AT + timedelta(hours=rng.uniform(1, 200))}


def seed(uow, leads: int) -> None:
    rng = random.Random(7)
    with uow() as tx:
        team = Team(name="Nord", created_at=RUN_AT)
        tx.users.add_team(team)
        owner = User(username="sales", display_name="Sales", password_hash="x", role="sales", team_id=team.id,
                     created_at=RUN_AT)
        tx.users.add(owner)
        tx.session.execute(insert(Lead.__table__), [_lead(rng, i, owner) for i in range(leads)])
        ids = tx.session.execute(select(Lead.id, Lead.registered_at)).all()
        # One earlier contact per lead (the sample box sent before the clock started): the skip rules read it.
        tx.session.execute(insert(Activity.__table__), [
            {"lead_id": lead_id, "type": "SAMPLE_SENT", "occurred_at": at - timedelta(hours=2), "details": {}}
            for lead_id, at in ids])
        tx.commit()
    ensure_seed_templates(uow, RUN_AT)


def _queued(uow) -> int:
    with uow(write=False) as tx:
        return tx.session.scalar(select(func.count()).select_from(EmailMessage))


def drain_rate(uow, settings) -> tuple[float, int]:
    """Mails per second the dispatcher sends with the file provider, over the first DRAIN_MAX queued."""
    dispatcher = build_dispatcher(uow, settings, clock=lambda: RUN_AT + timedelta(seconds=1))
    sent, began = 0, time.perf_counter()
    while sent < DRAIN_MAX:
        handled = dispatcher.dispatch_once(limit=min(200, DRAIN_MAX - sent))
        if not handled:
            break
        sent += handled
    return sent / max(time.perf_counter() - began, 1e-9), sent


def followup_rows(folder: Path, leads: int, say=print) -> list[dict]:
    """Value rows: the run's seconds and mails queued, the dispatcher's mails/s."""
    settings = _settings(folder)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    try:
        say(f"  follow-up run: seeding {leads:,} leads ...")
        seed(uow, leads)
        say("  follow-up run over every due lead ...")
        summary = run_due_followups(uow, automation_from_settings(settings), lambda: RUN_AT)
        queued = _queued(uow)
        say(f"    {summary.duration_s:.1f} s: {summary.sent} sent, {summary.skipped} skipped, {summary.failed} failed")
        say("  mail dispatcher draining the queue (file provider) ...")
        rate, drained = drain_rate(uow, settings)
        say(f"    {rate:.0f} mails/s over {drained} mails")
    finally:
        engine.dispose()
    name = f"followup_run_{leads // 1000}k" if leads >= 1000 else f"followup_run_{leads}"
    return [{"name": f"{name} (one run, {DUE_SHARE:.0%} due)", "value": round(summary.duration_s, 2), "unit": "s"},
            {"name": f"{name}: mails queued", "value": queued, "unit": "mails"},
            {"name": "mail dispatcher drain, file provider", "value": round(rate, 1), "unit": "mails/s"}]
