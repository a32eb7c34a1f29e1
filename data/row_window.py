"""Which rows of a long list a grid asks for: its rows from `offset`, at most `limit`, in one order.
The sort key is one the repository offers (an allow-list: column names are never taken from a client)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowWindow:
    offset: int = 0
    limit: int = 100
    sort: str | None = None  # a key of the repository's sort allow-list; None: its default order
    descending: bool = False
