"""Who writes each event type, read from the producers themselves.

Every module that logs events declares them next to its code: `PRODUCES = {producer: (types, ...)}`,
the producer being the name its events carry in `source` (/followup-cockpit/<producer> for the
cockpit's own, the full source for events that come in the way other systems send them). A new
producer module is added to PRODUCER_MODULES; tests/unit/test_event_vocabulary.py fails until it is.
Producers outside the product (the demo) are added by app.py with `add_producer_modules`.
"""
from __future__ import annotations

from types import ModuleType

from pipelines.consumers import lead_state
from services import (conversions, followup_bulk, followup_run, followups, inbound_mail, mail_events,
                      mail_feedback, registration_links, replies, tracking)

PRODUCER_MODULES: tuple[ModuleType, ...] = (
    followups, followup_bulk, followup_run, mail_events, mail_feedback, tracking, replies, inbound_mail, conversions, lead_state,
    registration_links)
EXTERNAL = "external systems via POST /api/events"
_added: list[ModuleType] = []  # producers from outside the product: the product cannot import them


def add_producer_modules(*modules: ModuleType) -> None:
    """The catalog names these modules' PRODUCES too, after the product's; adding one again changes nothing."""
    _added.extend(module for module in modules if module not in _added)


def producer_modules() -> tuple[ModuleType, ...]:
    return PRODUCER_MODULES + tuple(_added)


def declared_producers(modules: tuple[ModuleType, ...] | None = None) -> dict[str, dict[str, list[str]]]:
    """{type: {producer: [module, ...]}} in the order the modules are listed (default: every producer module)."""
    found: dict[str, dict[str, list[str]]] = {}
    for module in producer_modules() if modules is None else modules:
        for producer, types in module.PRODUCES.items():
            for type_ in types:
                found.setdefault(type_, {}).setdefault(producer, []).append(module.__name__)
    return found


def producer_names(type_: str, external: bool, declared: dict[str, dict[str, list[str]]]) -> list[str]:
    """How the catalog names the producers of a type: 'followups (services.followup_run, ...)'."""
    names = [f"{producer} ({', '.join(modules)})" for producer, modules in declared.get(type_, {}).items()]
    return names + ([EXTERNAL] if external else [])
