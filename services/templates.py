"""Template admin: list, save a new version, preview with a sample lead, activate, seed.

Admins edit; managers and analysts may look (domain.roles PAGE_ROLES). The role check is here,
so a replayed callback is refused no matter what the page showed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from data.models import EmailTemplate, Lead
from domain.followups import offer_for, sample_box
from domain.roles import Actor, Forbidden, Page, Role, require
from mailer import template_store as store
from mailer.seed_templates import SEED_TEMPLATES
from mailer.templates import (KIND_VARIABLES, KINDS, TemplateError, TemplateSource, TemplateValidationError,
                              declared_for, render_source, validate)
from services.clock import Clock, utc_now
from services.scopes import caller_scope

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
VARIANT = re.compile(r"^[A-Z]$")
LOCALE = re.compile(r"^[a-z]{2}$")
PREVIEW_UNSUBSCRIBE_URL = "https://cockpit.example/unsubscribe?token=preview"
# Clearly made up: stands in when the caller's scope holds no lead, and for the trial render on save.
EXAMPLE_LEAD = SimpleNamespace(company="Example GmbH", contact_name="Erika Example", city="Example City",
                               business_type="RESTAURANT")


class InvalidTemplateInput(ValueError):
    """Bad input from the template form; the message is shown next to it."""


@dataclass(frozen=True)
class TemplateSummary:
    name: str
    kind: str
    locale: str
    versions: int
    active_version: int | None
    variants: str  # e.g. "A 50 · B 50" (of the active version, else the newest)
    activated_at: datetime | None


@dataclass(frozen=True)
class VariantView:
    name: str
    kind: str
    locale: str
    version: int
    variant: str
    weight: int
    subject: str
    html: str
    text: str
    declared: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Preview:
    subject: str
    html: str
    text: str


def _require_editor(actor: Actor) -> None:
    require(actor, Page.ADMIN_TEMPLATES)
    if actor.role != Role.ADMIN:
        raise Forbidden.for_role(actor, "change templates (you can view them)")


def may_edit(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def _summary(rows: list[EmailTemplate]) -> TemplateSummary:
    active = [r for r in rows if r.active]
    shown = active or [r for r in rows if r.version == max(x.version for x in rows)]
    return TemplateSummary(rows[0].name, rows[0].kind, rows[0].locale, len({r.version for r in rows}),
                           active[0].version if active else None,
                           " · ".join(f"{r.variant} {r.weight}" for r in shown),
                           max((r.activated_at for r in active if r.activated_at), default=None))


def list_templates(uow, actor: Actor) -> list[TemplateSummary]:
    require(actor, Page.ADMIN_TEMPLATES)
    with uow(write=False) as tx:
        by_name: dict[str, list[EmailTemplate]] = {}
        for row in tx.templates.all_rows():
            by_name.setdefault(row.name, []).append(row)
        return [_summary(rows) for rows in by_name.values()]


def _view(r: EmailTemplate) -> VariantView:
    s = store.source_of(r)
    return VariantView(r.name, r.kind, r.locale, r.version, r.variant, r.weight, s.subject, s.html, s.text,
                       s.declared, r.active)


def version_detail(uow, actor: Actor, name: str, version: int | None = None) -> list[VariantView]:
    """The variants of one version (the newest when `version` is None); empty for an unknown name."""
    require(actor, Page.ADMIN_TEMPLATES)
    with uow(write=False) as tx:
        return [_view(r) for r in tx.templates.version_rows(name, version)]


def versions_of(uow, actor: Actor, name: str) -> list[int]:
    require(actor, Page.ADMIN_TEMPLATES)
    with uow(write=False) as tx:
        return sorted({r.version for r in tx.templates.all_rows() if r.name == name}, reverse=True)


def sample_variables(kind: str, lead: Lead | None = None, month: int = 1) -> dict:
    """Values for every variable a kind knows, from a lead when given, else from EXAMPLE_LEAD (preview
    and trial render); the sample box and the offer are the ones the follow-up would send."""
    lead = lead or EXAMPLE_LEAD
    btype = lead.business_type or EXAMPLE_LEAD.business_type
    offer = offer_for(btype)
    return {"contact_name": lead.contact_name or EXAMPLE_LEAD.contact_name, "company": lead.company,
            "city": lead.city or EXAMPLE_LEAD.city, "business_type": btype, "unsubscribe_url": PREVIEW_UNSUBSCRIBE_URL,
            "products": list(sample_box(btype, month)), "discount_percent": offer.discount_percent,
            "min_order_eur": offer.min_order_eur, "owner_name": "Max Vertrieb", "customer_id": 1042,
            "lead_url": "https://cockpit.example/leads/42"}


def _checked(kind: str, source: TemplateSource) -> TemplateSource:
    source = TemplateSource(source.subject or "", source.html or "", source.text or "", declared_for(source.declared))
    issues = validate(kind, source, sample=sample_variables(kind))
    if issues:
        raise TemplateValidationError(issues)
    return source


def preview(uow, actor: Actor, name: str, source: TemplateSource, lead_id: int | None = None,
            kind: str | None = None, clock: Clock = utc_now) -> Preview:
    """Validate, then render with a sample lead: the given one, else the first lead with an address,
    both only within the caller's scope (a manager sees their own team's); EXAMPLE_LEAD when none is.

    The kind comes from the template `name`; `kind` is only needed for a template not saved yet."""
    require(actor, Page.ADMIN_TEMPLATES)
    with uow(write=False) as tx:
        base = tx.templates.version_rows(name)
        source = _checked(base[0].kind if base else kind or "", source)
        variables = sample_variables(base[0].kind if base else kind, _sample_lead(tx, actor, lead_id),
                                     month=clock().month)
        return Preview(*render_source(source, variables))


def _sample_lead(tx, actor: Actor, lead_id: int | None) -> Lead | None:
    scope = caller_scope(tx, actor)
    return tx.leads.get(lead_id, scope) if lead_id else tx.leads.first_with_email(scope)


def _new_rows(base: list[EmailTemplate], variant: str, weight: int, source: TemplateSource, name: str,
              kind: str, locale: str, version: int, actor: Actor, now: datetime) -> list[EmailTemplate]:
    """The new version: the edited variant plus copies of the base version's other variants."""
    def row(v, w, s: TemplateSource):
        return EmailTemplate(name=name, kind=kind, locale=locale, version=version, variant=v, weight=w,
                             subject=s.subject, body_html=s.html, body_text=s.text, variables={"declared": list(s.declared)},
                             active=False, created_by=actor.user_id, created_at=now)
    others = [row(r.variant, r.weight, store.source_of(r)) for r in base if r.variant != variant]
    return sorted(others + [row(variant, weight, source)], key=lambda r: r.variant)


def _check_form(name: str, variant: str, weight) -> int:
    if not NAME.match(name or ""):
        raise InvalidTemplateInput("A template name is 2-80 characters: lower-case letters, digits and dashes.")
    if not VARIANT.match(variant or ""):
        raise InvalidTemplateInput("A variant is one capital letter (A, B, C ...).")
    try:
        weight = int(weight)
    except (TypeError, ValueError):
        raise InvalidTemplateInput("The weight is a whole number from 0 to 1000.") from None
    if not 0 <= weight <= 1000:
        raise InvalidTemplateInput("The weight is a whole number from 0 to 1000.")
    return weight


def save_version(uow, actor: Actor, name: str, variant: str, weight, source: TemplateSource,
                 kind: str | None = None, locale: str | None = None, clock: Clock = utc_now) -> int:
    """Store the edited variant as a new version (version + 1, inactive); returns the version number.

    A new name needs `kind` and `locale`; an existing name keeps its own."""
    _require_editor(actor)
    weight = _check_form(name, variant, weight)
    with uow() as tx:
        base = tx.templates.version_rows(name)
        kind, locale = (base[0].kind, base[0].locale) if base else (kind, locale)
        if kind not in KINDS or not LOCALE.match(locale or ""):
            raise InvalidTemplateInput(f"A new template needs a kind ({', '.join(KINDS)}) and a locale like 'de'.")
        source = _checked(kind, source)
        version = (base[0].version if base else 0) + 1
        tx.templates.add_version(_new_rows(base, variant, weight, source, name, kind, locale, version, actor, clock()))
        tx.commit()
        return version


def activate_version(uow, actor: Actor, name: str, version: int, clock: Clock = utc_now) -> None:
    _require_editor(actor)
    with uow() as tx:
        if not tx.templates.activate(name, int(version), clock()):
            raise InvalidTemplateInput(f"Template {name!r} has no version {version}.")
        tx.commit()


def ensure_seed_templates(uow, now: datetime) -> int:
    """Create the shipped templates for every kind+locale that has none yet; returns rows created."""
    created = 0
    with uow() as tx:
        tx.templates.lock_for_seeding()
        for (kind, locale) in dict.fromkeys((s.kind, s.locale) for s in SEED_TEMPLATES):
            if tx.templates.exists_for(kind, locale):
                continue
            rows = [EmailTemplate(name=s.name, kind=s.kind, locale=s.locale, version=1, variant=s.variant,
                                  weight=s.weight, subject=s.source().subject, body_html=s.source().html,
                                  body_text=s.source().text, variables={"declared": list(s.source().declared)},
                                  active=True, activated_at=now, created_at=now)
                    for s in SEED_TEMPLATES if (s.kind, s.locale) == (kind, locale)]
            tx.templates.add_version(rows)
            created += len(rows)
        tx.commit()
    return created


__all__ = ["KIND_VARIABLES", "KINDS", "TemplateError", "TemplateSource", "TemplateValidationError", "InvalidTemplateInput",
           "list_templates", "version_detail", "versions_of", "preview", "save_version", "activate_version", "ensure_seed_templates",
           "sample_variables", "may_edit"]
