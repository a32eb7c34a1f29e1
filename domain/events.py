"""Event types: names, versions, meanings and the JSON schema of each type's `data` (DESIGN section 4).

Plain data and pure functions only; the catalog (pipelines/catalog) adds producers and consumers and
serves it, the outbox (services/outbox) validates against it. Code names a type by its constant here
(LEAD_REGISTERED, FOLLOWUP_REPLIED, ...), never by spelling out its string.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from domain.model import MAIL_STEPS, BusinessType, LeadStatus, Outcome

PREFIX = "com.freshplan."
# The values the schemas allow, from the enums every layer shares.
STEPS = [step.value for step in MAIL_STEPS]
BUSINESS_TYPES = [kind.value for kind in BusinessType]
STATUSES = [status.value for status in LeadStatus]
LABELS = [label.value for label in Outcome]


def _type(name: str, version: int = 1) -> str:
    return f"{PREFIX}{name}.v{version}"


# Every event type, named once: producers publish these and consumers compare with these.
LEAD_REGISTERED = _type("lead.registered")
LEAD_SAMPLE_DELIVERED = _type("lead.sample_delivered")
LEAD_CREATED = _type("lead.created")
LEAD_STATUS_CHANGED = _type("lead.status_changed")
FOLLOWUP_SCHEDULED = _type("followup.scheduled")
FOLLOWUP_SENT = _type("followup.sent")
FOLLOWUP_SKIPPED = _type("followup.skipped")
FOLLOWUP_FAILED = _type("followup.failed")
FOLLOWUP_REPLIED = _type("followup.replied")
FOLLOWUP_PROCESSED = _type("followup.processed")
EMAIL_SENT = _type("email.sent")
EMAIL_OPENED = _type("email.opened")
EMAIL_CLICKED = _type("email.clicked")
EMAIL_BOUNCED = _type("email.bounced")
EMAIL_UNSUBSCRIBED = _type("email.unsubscribed")
CUSTOMER_CONVERTED = _type("customer.converted")
CUSTOMER_CONVERSION_REJECTED = _type("customer.conversion_rejected")


def _obj(required: dict, optional: dict | None = None) -> dict:
    props = {**required, **(optional or {})}
    return {"type": "object", "properties": props, "required": sorted(required), "additionalProperties": True}


ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}  # a BIGINT key
TEXT = {"type": "string", "minLength": 1, "maxLength": 500}
OPT_TEXT = {"type": ["string", "null"], "maxLength": 500}
TIME = {"type": "string", "format": "date-time", "maxLength": 64}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}


def _opt_text(max_length: int) -> dict:
    """Optional text that lands in a column of this length (data/models.py): longer is refused at the edge."""
    return {"type": ["string", "null"], "maxLength": max_length}


@dataclass(frozen=True)
class EventType:
    name: str  # e.g. "followup.sent"
    version: int
    meaning: str
    schema: dict
    external: bool = False  # accepted from other systems through POST /api/events
    family: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "family", self.name.split(".")[0])

    @property
    def type(self) -> str:
        return f"{PREFIX}{self.name}.v{self.version}"


def _t(type_: str, meaning: str, schema: dict, external: bool = False) -> EventType:
    name, _, version = type_[len(PREFIX):].rpartition(".v")
    return EventType(name, int(version), meaning, schema, external)


LEAD = {"lead_id": ID}


def _names_a_lead(schema: dict) -> dict:
    """An event about a lead from another system must say which: its id, the id it was registered
    with (external_id), or its address; otherwise it is refused at the edge, never dropped later."""
    return {**schema, "anyOf": [{"required": [key], "properties": {key: {"type": "string" if key != "lead_id" else "integer"}}}
                                for key in ("lead_id", "external_id", "email")]}
STEP = {"step": {"enum": STEPS}}
# What a tracked mail was: its lead, and the template, version, variant and step it was sent from.
TRACKED = {"lead_id": ID, "template": OPT_TEXT, "template_version": {"type": ["integer", "null"]}, "variant": OPT_TEXT,
           "step": {"enum": STEPS + [None]}}
EVENT_TYPES: tuple[EventType, ...] = (
    _t(LEAD_REGISTERED, "A lead was registered (in the cockpit or by another system).",
       _obj({"company": {**TEXT, "maxLength": 200}, "business_type": {"enum": BUSINESS_TYPES}, "registered_at": TIME},
            {"lead_id": ID, "email": EMAIL, "contact_name": _opt_text(120), "city": _opt_text(80),
             "owner": _opt_text(40), "external_id": _opt_text(200), "email_consent": {"type": "boolean"},
             "phone": _opt_text(40), "vat_id": _opt_text(20),
             "score": {"type": "integer", "minimum": 0, "maximum": 100},
             "estimated_volume": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1}}), external=True),
    _t(LEAD_SAMPLE_DELIVERED, "The sample box reached the lead; the follow-up clock starts.",
       _names_a_lead(_obj({"delivered_at": TIME}, {**LEAD, "external_id": _opt_text(200), "email": EMAIL})),
       external=True),
    _t(LEAD_CREATED, "The cockpit created the lead of a registration another system sent; `registered_source` and "
       "`registered_id` name that lead.registered event, which was logged before its lead existed.",
       _obj({**LEAD, "registered_source": TEXT, "registered_id": TEXT})),
    _t(LEAD_STATUS_CHANGED, "A lead moved from one status to another.",
       _obj({**LEAD, "from": {"enum": STATUSES}, "to": {"enum": STATUSES}}, {"reason": OPT_TEXT})),
    _t(FOLLOWUP_SCHEDULED, "A follow-up step was planned for a time in the lead's business hours.",
       _obj({**LEAD, **STEP, "due_at": TIME}, {"reason": OPT_TEXT})),
    _t(FOLLOWUP_SENT, "A follow-up mail was handed to the email core and sent.",
       _obj({**LEAD, **STEP, "sent_at": TIME}, {"template": OPT_TEXT, "template_version": {"type": ["integer", "null"]},
                                                 "variant": OPT_TEXT, "message_id": OPT_TEXT,
                                                 "next_due_at": {"type": ["string", "null"], "format": "date-time"}})),
    _t(FOLLOWUP_SKIPPED, "A due step was not sent, and why.",
       _obj({**LEAD, **STEP, "reason": TEXT})),
    _t(FOLLOWUP_FAILED, "Sending a follow-up failed.",
       _obj({**LEAD, **STEP, "reason": TEXT}, {"attempt": {"type": "integer"}})),
    _t(FOLLOWUP_REPLIED, "A lead answered a follow-up.",
       _names_a_lead(_obj({"replied_at": TIME}, {**LEAD, "email": EMAIL, "external_id": _opt_text(200),
                                                 "step": {"enum": STEPS + [None]},
                                                 "text": {"type": "string", "maxLength": 20000},
                                                 "label": {"enum": LABELS + [None]},
                                                 "confidence": {"type": ["number", "null"], "minimum": 0, "maximum": 1}})),
       external=True),
    _t(FOLLOWUP_PROCESSED, "One follow-up run finished: how many were sent, skipped and failed.",
       _obj({"run_id": TEXT, "sent": {"type": "integer"}, "skipped": {"type": "integer"},
             "failed": {"type": "integer"}, "started_at": TIME, "finished_at": TIME},
            {"replanned": {"type": "integer"}, "duration_ms": {"type": "number"},
             "by_step": {"type": "object", "additionalProperties": {"type": "object"}}})),
    _t(EMAIL_SENT, "The email core handed a mail to a provider.",
       _obj({"message_id": TEXT, "provider": TEXT, "sent_at": TIME}, {**LEAD})),
    _t(EMAIL_OPENED, "A mail was first opened (its tracking pixel was loaded; image proxies may load it "
       "without a person reading): later opens are counted, not logged again.",
       _obj({"message_id": TEXT, "opened_at": TIME}, {**TRACKED})),
    _t(EMAIL_CLICKED, "A link in a mail was first followed: later clicks are counted, not logged again.",
       _obj({"message_id": TEXT, "clicked_at": TIME}, {**TRACKED, "link": {"type": "integer", "minimum": 0}})),
    _t(EMAIL_BOUNCED, "A provider reported a bounce; the address is suppressed.",
       _obj({"email": EMAIL, "bounced_at": TIME}, {"message_id": OPT_TEXT, "kind": OPT_TEXT})),
    _t(EMAIL_UNSUBSCRIBED, "An address unsubscribed or complained; it is suppressed.",
       _obj({"email": EMAIL, "unsubscribed_at": TIME}, {"lead_id": ID, "via": OPT_TEXT})),
    _t(CUSTOMER_CONVERTED, "A lead became a customer.",
       _obj({**LEAD, "customer_id": ID, "converted_at": TIME}, {"rule": OPT_TEXT, "by": OPT_TEXT})),
    _t(CUSTOMER_CONVERSION_REJECTED, "A positive reply did not convert the lead, and why.",
       _obj({**LEAD, "reasons": {"type": "array", "items": {"type": "string"}}}, {"rule": OPT_TEXT})),
)
BY_TYPE: dict[str, EventType] = {e.type: e for e in EVENT_TYPES}


def idempotency_key(*facts: object) -> str:
    """A deterministic key from the business facts of an occurrence: the same facts, the same key."""
    joined = "\x1f".join("" if f is None else str(f) for f in facts)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]
