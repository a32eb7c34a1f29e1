"""The dependencies app.py builds once per process and hands to every entrypoint."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.clock import Clock, utc_now


@dataclass(frozen=True)
class Dependencies:
    settings: Any
    engine: Any
    uow: Any  # a unit-of-work factory: `with deps.uow() as tx:` / `uow(write=False)`
    warehouse: Any
    clock: Clock = utc_now
