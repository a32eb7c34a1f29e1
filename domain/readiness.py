"""Conversion readiness: may a lead that answered positively become a customer? (DESIGN section 3)

Five facts must hold: the lead is qualified, had real progress lately, has an estimated volume, its
contact data are complete, and it gave consent. An existing customer with the same e-mail or VAT id
blocks (a duplicate); a customer with a similar company name in the same city only warns.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.model import MEANINGFUL_CONTACT, LeadStatus

# A lead counts as qualified when a person set QUALIFIED, or its score says so: 70 is where the
# scoring puts leads that asked for prices or tested the sample in earnest.
QUALIFIED_SCORE = 70
PROGRESS_WINDOW = timedelta(days=60)
SIMILAR_NAME_RATIO = 0.85  # difflib ratio of normalised names; "Gasthaus Linde" ~ "Gasthof Linde"
PROGRESS_TYPES = frozenset(t.value for t in MEANINGFUL_CONTACT)
FACTS = ("qualified", "recent_progress", "volume_set", "contact_complete", "consent")
_LEGAL_FORMS = re.compile(r"\b(gmbh|co|kg|ag|ug|ohg|gbr|e\.?k|ltd|inc|llc|haftungsbeschränkt)\b\.?")


@dataclass(frozen=True)
class LeadFacts:
    company: str
    status: str
    score: int
    estimated_volume: int | None
    contact_name: str | None
    email: str | None
    city: str | None
    email_consent: bool
    vat_id: str | None = None


@dataclass(frozen=True)
class KnownCustomer:
    id: int
    company: str
    email: str | None
    vat_id: str | None
    city: str | None


@dataclass(frozen=True)
class Readiness:
    facts: dict[str, bool]
    reasons: dict[str, str]  # why a failing fact fails, by fact
    duplicate: str | None = None  # why the lead duplicates a customer, or None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return all(self.facts.values()) and self.duplicate is None

    @property
    def failing(self) -> list[str]:
        """Every reason the lead is not ready, facts first, the duplicate last."""
        found = [self.reasons[f] for f in FACTS if not self.facts[f]]
        return found + ([self.duplicate] if self.duplicate else [])


def normalised_company(name: str) -> str:
    text = _LEGAL_FORMS.sub(" ", (name or "").lower().replace("&", " "))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().lower() == b.strip().lower()


def _same_vat(a: str | None, b: str | None) -> bool:
    return bool(a and b) and re.sub(r"[\s.-]", "", a).upper() == re.sub(r"[\s.-]", "", b).upper()


def duplicate_of(lead: LeadFacts, customers: list[KnownCustomer]) -> str | None:
    for c in customers:
        if _same_vat(lead.vat_id, c.vat_id):
            return f"duplicate: customer #{c.id} ({c.company}) has the same VAT id {c.vat_id}"
        if _same(lead.email, c.email):
            return f"duplicate: customer #{c.id} ({c.company}) has the same e-mail {c.email}"
    return None


def similar_names(lead: LeadFacts, customers: list[KnownCustomer]) -> tuple[str, ...]:
    name = normalised_company(lead.company)
    found = []
    for c in customers:
        if not _same(lead.city, c.city):
            continue
        ratio = difflib.SequenceMatcher(None, name, normalised_company(c.company)).ratio()
        if ratio >= SIMILAR_NAME_RATIO:
            found.append(f"similar: customer #{c.id} ({c.company}) in {c.city}, name {ratio:.0%} alike")
    return tuple(found)


def _qualified(lead: LeadFacts) -> tuple[bool, str]:
    ok = lead.status == LeadStatus.QUALIFIED.value or lead.score >= QUALIFIED_SCORE
    return ok, f"not qualified: status {lead.status} and score {lead.score} < {QUALIFIED_SCORE}"


def _contact(lead: LeadFacts) -> tuple[bool, str]:
    missing = [n for n, v in (("contact name", lead.contact_name), ("e-mail", lead.email), ("city", lead.city))
               if not (v or "").strip()]
    return not missing, f"contact data incomplete: no {', no '.join(missing)}"


def assess(lead: LeadFacts, activities: list[tuple[str, datetime]], customers: list[KnownCustomer],
           now: datetime) -> Readiness:
    """`activities`: (type, occurred_at) of the lead; `customers`: those that could be the same company."""
    since = now - PROGRESS_WINDOW
    checks = {
        "qualified": _qualified(lead),
        "recent_progress": (any(t in PROGRESS_TYPES and since <= at <= now for t, at in activities),
                            f"no progress activity (email, call, meeting, sample, order) in the last {PROGRESS_WINDOW.days} days"),
        "volume_set": (bool(lead.estimated_volume), "no estimated volume"),
        "contact_complete": _contact(lead),
        "consent": (lead.email_consent, "no e-mail consent"),
    }
    return Readiness(facts={k: ok for k, (ok, _r) in checks.items()},
                     reasons={k: why for k, (ok, why) in checks.items() if not ok},
                     duplicate=duplicate_of(lead, customers), warnings=similar_names(lead, customers))
