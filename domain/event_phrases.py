"""What each event type means to a person, as the words after a company's name in an activity feed:
"Acme GmbH — follow-up T+3 sent", "— replied (positive)", "— converted".

One phrase per type of domain.events, keyed by the short name the analytics replica stores
("followup.sent"); `{step}` stands for the follow-up step where the event names one.
"""
from __future__ import annotations

from domain.events import (CUSTOMER_CONVERSION_REJECTED, CUSTOMER_CONVERTED, EMAIL_BOUNCED, EMAIL_CLICKED, EMAIL_OPENED,
                           EMAIL_SENT, EMAIL_UNSUBSCRIBED, FOLLOWUP_FAILED, FOLLOWUP_PROCESSED, FOLLOWUP_REPLIED,
                           FOLLOWUP_SCHEDULED, FOLLOWUP_SENT, FOLLOWUP_SKIPPED, LEAD_CREATED, LEAD_REGISTERED,
                           LEAD_SAMPLE_DELIVERED, LEAD_STATUS_CHANGED, PREFIX)


def short_name(event_type: str) -> str:
    """'com.freshplan.followup.sent.v1' -> 'followup.sent' (the replica's spelling of a type)."""
    return event_type[len(PREFIX):].rpartition(".v")[0] if event_type.startswith(PREFIX) else event_type


PHRASES: dict[str, str] = {short_name(t): phrase for t, phrase in (
    (LEAD_REGISTERED, "registered"),
    (LEAD_SAMPLE_DELIVERED, "sample delivered"),
    (LEAD_CREATED, "added from another system"),
    (LEAD_STATUS_CHANGED, "status changed"),
    (FOLLOWUP_SCHEDULED, "follow-up{step} scheduled"),
    (FOLLOWUP_SENT, "follow-up{step} sent"),
    (FOLLOWUP_SKIPPED, "follow-up{step} skipped"),
    (FOLLOWUP_FAILED, "follow-up{step} could not be sent"),
    (FOLLOWUP_REPLIED, "replied"),
    (FOLLOWUP_PROCESSED, "follow-up run finished"),
    (EMAIL_SENT, "email sent"),
    (EMAIL_OPENED, "opened an email"),
    (EMAIL_CLICKED, "clicked a link in an email"),
    (EMAIL_BOUNCED, "email bounced"),
    (EMAIL_UNSUBSCRIBED, "unsubscribed"),
    (CUSTOMER_CONVERTED, "converted"),
    (CUSTOMER_CONVERSION_REJECTED, "not converted"),
)}
STEP_NAMES = {"T3": "T+3", "T7": "T+7"}
LABELLED = {short_name(t) for t in (FOLLOWUP_REPLIED,)}  # phrases that name the reply's classification


def phrase(event_type: str, step: str | None = None, label: str | None = None) -> str:
    """The words for one event; a reply names its classification ("replied (out of office)").
    A type this version does not know (a newer producer) is spelled out rather than dropped."""
    name = short_name(event_type)
    words = PHRASES.get(name, name.replace(".", " ").replace("_", " "))
    words = words.replace("{step}", f" {STEP_NAMES.get(step, step)}" if step else "")
    if name in LABELLED and label:
        words += f" ({label.lower().replace('_', ' ')})"
    return words
