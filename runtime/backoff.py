"""The one backoff formula: exponential from `base`, capped, with jitter.

Its callers and their numbers: a failing event or sink delivery 1 s .. 5 min (pipelines.relay), a mail
2 s .. 10 min (mailer.dispatcher), a worker's failed pass from its poll interval to 30 s (runtime.worker).
Jitter spreads the retries of many messages, or of many processes after one outage, over time.
"""
from __future__ import annotations

import random

_RNG = random.Random()  # its own generator: retries never draw from (or disturb) the global one


def backoff(attempt: int, *, base: float, cap: float, jitter: float = 0.3, rng: random.Random | None = None) -> float:
    """Seconds before try `attempt + 1`: `base` doubling per attempt, at most `cap`, then +-`jitter` of it."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * (1 + (rng or _RNG).uniform(-jitter, jitter)) if jitter else delay
