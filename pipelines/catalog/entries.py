"""The catalog's entries: each type of domain.events with who produces and who consumes it, both
read from the code (producers.py, consumers.py), so the catalog cannot drift from what runs."""
from __future__ import annotations

from dataclasses import dataclass

from domain.events import EVENT_TYPES, EventType
from pipelines.catalog.consumers import consumer_names
from pipelines.catalog.producers import declared_producers, producer_names


@dataclass(frozen=True)
class CatalogEntry:
    event: EventType
    producer: list[str]
    consumers: list[str]

    def as_json(self) -> dict:
        e = self.event
        return {"type": e.type, "version": e.version, "family": e.family, "meaning": e.meaning,
                "external": e.external, "producer": self.producer, "consumers": self.consumers, "schema": e.schema}


def build_catalog() -> tuple[CatalogEntry, ...]:
    declared = declared_producers()
    return tuple(CatalogEntry(e, producer_names(e.type, e.external, declared), consumer_names(e.type))
                 for e in EVENT_TYPES)


def catalog_json() -> list[dict]:
    """Built when asked (a few dozen entries): it names the producers app.py added, too."""
    return [entry.as_json() for entry in build_catalog()]
