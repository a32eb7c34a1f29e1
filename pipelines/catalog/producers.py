"""Who writes each event type, read from the producers themselves.

Every module that logs events declares them next to its code: `PRODUCES = {producer: (types, ...)}`,
the producer being the name its events carry in `source` (/followup-cockpit/<producer> for the
cockpit's own, the full source for events that come in the way other systems send them). A new
producer module is added to PRODUCER_MODULES; tests/unit/test_event_vocabulary.py fails until it is.
"""
from __future__ import annotations

from types import ModuleType

from pipelines import demo_simulator
from pipelines.consumers import lead_state
from services import (conversions, demo_history, followup_run, followups, inbound_mail, mail_events, mail_feedback,
                      registration_links, replies, tracking)

PRODUCER_MODULES: tuple[ModuleType, ...] = (
    followups, followup_run, mail_events, mail_feedback, tracking, replies, inbound_mail, conversions, lead_state,
    registration_links, demo_history, demo_simulator)
EXTERNAL = "external systems via POST /api/events"


def declared_producers(modules: tuple[ModuleType, ...] = PRODUCER_MODULES) -> dict[str, dict[str, list[str]]]:
    """{type: {producer: [module, ...]}} in the order the modules are listed."""
    found: dict[str, dict[str, list[str]]] = {}
    for module in modules:
        for producer, types in module.PRODUCES.items():
            for type_ in types:
                found.setdefault(type_, {}).setdefault(producer, []).append(module.__name__)
    return found


def producer_names(type_: str, external: bool, declared: dict[str, dict[str, list[str]]]) -> list[str]:
    """How the catalog names the producers of a type: 'followups (services.followup_run, ...)'."""
    names = [f"{producer} ({', '.join(modules)})" for producer, modules in declared.get(type_, {}).items()]
    return names + ([EXTERNAL] if external else [])
