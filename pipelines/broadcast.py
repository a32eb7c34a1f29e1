"""In-process fan-out: the analytics projection announces each applied batch, open streams wake.

A batch is described by the (team, owner) pairs of the leads it touched; a subscriber wakes only when
its scope overlaps. On PostgreSQL every process tails the shared log itself (woken by LISTEN/NOTIFY),
so every process's broadcaster hears every event.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Touched:
    """Who an applied batch concerns: (team_id, owner_id) of its leads, and the newest seq."""

    pairs: frozenset[tuple[int | None, int | None]] = field(default_factory=frozenset)
    seq: int = 0

    def concerns(self, team_id: int | None, user_id: int | None) -> bool:
        """True when a scope (None = any) sees at least one lead of the batch."""
        return any((team_id is None or team_id == t) and (user_id is None or user_id == u) for t, u in self.pairs)


class Subscription:
    def __init__(self, broadcaster: "Broadcaster", team_id: int | None, user_id: int | None):
        self._broadcaster, self.team_id, self.user_id = broadcaster, team_id, user_id
        self._changed = threading.Event()

    def notify(self, touched: Touched) -> None:
        if touched.concerns(self.team_id, self.user_id):
            self._changed.set()

    def wait(self, timeout: float) -> bool:
        """True when something in scope changed since the last call; False after `timeout` seconds."""
        changed = self._changed.wait(timeout)
        self._changed.clear()
        return changed

    def close(self) -> None:
        self._broadcaster.unsubscribe(self)


class Broadcaster:
    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self.version = 0  # bumps with every published batch: snapshot caches key on it

    def subscribe(self, team_id: int | None = None, user_id: int | None = None) -> Subscription:
        sub = Subscription(self, team_id, user_id)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def publish(self, touched: Touched) -> None:
        with self._lock:
            self.version += 1
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.notify(touched)

    def advance(self) -> None:
        """The read models moved without news for the streams (the rollups caught up): caches key anew."""
        with self._lock:
            self.version += 1

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)
