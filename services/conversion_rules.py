"""Conversion rules: the admin's use cases (list, save with validation, enable, dry-run), the default
rule set, the facts a rule sees, and the decision procedure (`verdict_for`) that conversions and the
dry run share. Only admins change rules; managers and analysts read and dry-run.

Errors: `Forbidden` (role), `RuleProblem` (an expression that cannot be saved, with its position),
`InvalidRule` (a wrong name, decision or priority), `LookupError` (no such rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from data.models import ConversionRule, Lead
from domain.readiness import FACTS, LeadFacts, Readiness, assess
from domain.roles import Actor, Forbidden, Page, Role, require
from services.clock import Clock, utc_now
from services.rule_language import DECISIONS, RuleProblem, compile_rule, matches
from services.scopes import caller_scope

__all__ = ["RuleProblem", "InvalidRule", "ReplyFacts", "DEFAULT_RULES", "ensure_default_rules", "list_rules",
           "save_rule", "set_enabled", "dry_run", "active_rules", "readiness_of", "rule_facts", "Verdict",
           "verdict_for"]
# Shipped enabled on first start; admins edit them into new versions. Readiness is checked before
# any rule runs (a lead that is not ready is rejected with the failing fact), so these refine it.
DEFAULT_RULES = (
    dict(name="Similar company already a customer", priority=10, decision="REVIEW",
         expression="ready.similar_name",
         description="A customer with a similar name in the same city: a person checks it is not the same company."),
    dict(name="Positive reply from a well-scored lead", priority=50, decision="CONVERT",
         expression='reply.label == "POSITIVE" and lead.score >= 60',
         description="A ready lead with a score of 60 or more that answered positively becomes a customer."),
    dict(name="Score too low", priority=90, decision="REJECT", expression="lead.score < 40",
         description="Below 40 the sales team calls first; no automatic customer."),
)


class InvalidRule(ValueError):
    """A rule's name, decision or priority is wrong; the message says which."""


@dataclass(frozen=True)
class ReplyFacts:
    label: str
    confidence: float
    by_person: bool = False
    step: str | None = None
    text: str = ""
    source: str | None = None
    event_id: str | None = None
    replied_at: datetime | None = None


def ensure_default_rules(uow, now: datetime) -> int:
    """Create each default rule that does not exist by name; returns how many were created."""
    created = 0
    with uow() as tx:
        for spec in DEFAULT_RULES:
            if tx.conversions.rule_by_name(spec["name"]) is None:
                created += tx.conversions.add_rule(ConversionRule(**spec, enabled=True, version=1, created_at=now,
                                                                  updated_at=now))
        tx.commit()
    return created


def _require_admin(actor: Actor) -> None:
    require(actor, Page.ADMIN_RULES)
    if actor.role != Role.ADMIN:
        raise Forbidden.for_role(actor, "change rules (you can read and try them)")


def list_rules(uow, actor: Actor) -> list[dict]:
    require(actor, Page.ADMIN_RULES)
    with uow(write=False) as tx:
        return [{"id": r.id, "name": r.name, "expression": r.expression, "decision": r.decision, "priority": r.priority,
                 "enabled": r.enabled, "description": r.description, "version": r.version,
                 "updated_at": r.updated_at.strftime("%Y-%m-%d %H:%M")} for r in tx.conversions.rules()]


def _checked(name: str, expression: str, decision: str, priority) -> tuple[str, str, str, int]:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise InvalidRule("the name must have 1 to 120 characters")
    if decision not in DECISIONS:
        raise InvalidRule(f"the decision must be one of {', '.join(DECISIONS)}")
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise InvalidRule("the priority must be a whole number") from None
    if not 0 <= priority <= 10_000:
        raise InvalidRule("the priority must lie between 0 and 10000")
    compile_rule(expression)  # RuleProblem with the position
    return name, expression.strip(), decision, priority


def save_rule(uow, actor: Actor, rule_id: int | None, *, name: str, expression: str, decision: str, priority,
              enabled: bool = False, description: str = "", clock: Clock = utc_now) -> dict:
    """Create a rule (version 1) or edit one (version + 1). Nothing is stored unless it is valid."""
    _require_admin(actor)
    name, expression, decision, priority = _checked(name, expression, decision, priority)
    now = clock()
    with uow() as tx:
        same_name = tx.conversions.rule_by_name(name)
        if same_name is not None and same_name.id != rule_id:
            raise InvalidRule(f"a rule named {name!r} exists already")
        if rule_id is None:
            rule = ConversionRule(name=name, expression=expression, decision=decision, priority=priority,
                                  enabled=bool(enabled), description=description or "", version=1,
                                  created_at=now, updated_at=now)
            if not tx.conversions.add_rule(rule):
                raise InvalidRule(f"a rule named {name!r} exists already")
        else:
            rule = tx.conversions.rule(rule_id)
            if rule is None:
                raise LookupError(f"rule {rule_id} not found")
            rule.name, rule.expression, rule.decision, rule.priority = name, expression, decision, priority
            rule.enabled, rule.description = bool(enabled), description or ""
            rule.version, rule.updated_at = rule.version + 1, now
        tx.commit()
        return {"id": rule.id, "version": rule.version}


def set_enabled(uow, actor: Actor, rule_id: int, enabled: bool, clock: Clock = utc_now) -> None:
    _require_admin(actor)
    with uow() as tx:
        rule = tx.conversions.rule(rule_id)
        if rule is None:
            raise LookupError(f"rule {rule_id} not found")
        rule.enabled, rule.updated_at = bool(enabled), clock()
        tx.commit()


_COMPILED: dict[tuple[int, int, str], object] = {}


def active_rules(tx) -> list[tuple[ConversionRule, object]]:
    """The enabled rules in priority order, each with its compiled expression (cached per version)."""
    found = []
    for rule in tx.conversions.rules(enabled_only=True):
        key = (rule.id, rule.version, rule.expression)
        if key not in _COMPILED:
            try:
                _COMPILED[key] = compile_rule(rule.expression)
            except RuleProblem as problem:
                _COMPILED[key] = problem  # stored before validation existed: reported when it runs
        found.append((rule, _COMPILED[key]))
    return found


def lead_facts(lead: Lead) -> LeadFacts:
    return LeadFacts(company=lead.company, status=lead.status, score=lead.score or 0,
                     estimated_volume=lead.estimated_volume, contact_name=lead.contact_name, email=lead.email,
                     city=lead.city, email_consent=bool(lead.email_consent), vat_id=lead.vat_id)


def readiness_of(tx, lead: Lead, now: datetime) -> Readiness:
    activities = [(a.type, a.occurred_at) for a in tx.leads.activities(lead.id)]
    customers = [c for c in tx.conversions.customers_like(lead.email, lead.vat_id, lead.city)]
    own = tx.conversions.customer_of_lead(lead.id)
    return assess(lead_facts(lead), activities, [c for c in customers if own is None or c.id != own.id], now)


def rule_facts(lead: Lead, reply: ReplyFacts, readiness: Readiness, now: datetime) -> dict:
    """What a rule sees; no None anywhere, so a comparison never fails on a missing value."""
    return {
        "lead": {"score": float(lead.score or 0), "estimated_volume": float(lead.estimated_volume or 0),
                 "status": lead.status, "business_type": lead.business_type, "city": lead.city or "",
                 "country": lead.country or "", "email_consent": bool(lead.email_consent),
                 "has_vat_id": bool(lead.vat_id), "days_since_registration": (now - lead.registered_at).total_seconds() / 86400},
        "reply": {"label": reply.label, "confidence": float(reply.confidence), "by_person": reply.by_person,
                  "step": reply.step or "", "text": reply.text or ""},
        "ready": {**readiness.facts, "duplicate": readiness.duplicate is not None,
                  "similar_name": bool(readiness.warnings), "all": readiness.ready},
    }


@dataclass(frozen=True)
class Verdict:
    decision: str  # CONVERT, REJECT, REVIEW
    reasons: list[str] = field(default_factory=list)
    rule_id: int | None = None
    rule_version: int | None = None
    fact: str | None = None


def verdict_for(tx, lead: Lead, reply: ReplyFacts, now: datetime, readiness: Readiness | None = None) -> Verdict:
    """Readiness first (a duplicate or a failing fact rejects), then the enabled rules by priority."""
    readiness = readiness or readiness_of(tx, lead, now)
    if readiness.duplicate:
        return Verdict("REJECT", [readiness.duplicate], fact="duplicate")
    if not readiness.ready:
        return Verdict("REJECT", readiness.failing, fact=next(f for f in FACTS if not readiness.facts[f]))
    facts, notes = rule_facts(lead, reply, readiness, now), []
    for rule, compiled in active_rules(tx):
        try:
            if isinstance(compiled, RuleProblem):
                raise compiled
            if not matches(compiled, facts):
                continue
        except RuleProblem as problem:
            notes.append(f"rule '{rule.name}' v{rule.version} could not run: {problem}")
            continue
        why = f"rule '{rule.name}' v{rule.version}: {rule.expression}"
        return Verdict(rule.decision, [why, *notes, *readiness.warnings], rule.id, rule.version)
    return Verdict("REVIEW", ["no rule decided", *notes, *readiness.warnings])


def dry_run(uow, actor: Actor, expression: str, decision: str, lead_ids: list[int], clock: Clock = utc_now) -> list[dict]:
    """What a rule would decide for the chosen leads, as if each had just answered positively.
    Changes nothing. Leads outside the caller's scope are left out."""
    require(actor, Page.ADMIN_RULES)
    rule = compile_rule(expression)
    if decision not in DECISIONS:
        raise InvalidRule(f"the decision must be one of {', '.join(DECISIONS)}")
    now, results = clock(), []
    with uow(write=False) as tx:
        scope = caller_scope(tx, actor)
        for lead_id in lead_ids[:50]:
            lead = tx.leads.get(int(lead_id), scope)
            if lead is None:
                continue
            reply = ReplyFacts(label="POSITIVE", confidence=1.0, by_person=True)
            readiness = readiness_of(tx, lead, now)
            hit = matches(rule, rule_facts(lead, reply, readiness, now))
            whole = verdict_for(tx, lead, reply, now, readiness)  # the one decision procedure: no drift
            results.append({"lead_id": lead.id, "company": lead.company, "ready": readiness.ready,
                            "failing": readiness.failing, "this_rule": decision if hit else "no match",
                            "rule_set": whole.decision, "why": "; ".join(whole.reasons)})
    return results
