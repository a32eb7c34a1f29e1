"""Values a callback reads from the browser, checked for what the page can send.

Whatever the page's components hold arrives as JSON any client can forge: a page number may come as
1e308 or "abc", a search box as a list. Callbacks read their values through these, and a value the page
could not have sent raises CallbackInputError, which the app answers with 400 (web.callback_guard).
"""
from __future__ import annotations

from typing import Iterable


class CallbackInputError(ValueError):
    """A callback value the page could not have sent; the message names it."""


def whole(name: str, value, default: int, lowest: int = 0, highest: int = 2**31 - 1) -> int:
    """A whole number within [lowest, highest]; None means the default."""
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise CallbackInputError(f"{name} must be a whole number from {lowest} to {highest}")
    return value


def optional_id(name: str, value) -> int | None:
    """A row id the page offers (a dropdown value, a stored id), or None."""
    return None if value in (None, "") else whole(name, value, 0, 1)


def text(name: str, value, limit: int = 1000) -> str:
    """A text box's value (None is empty), at most `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise CallbackInputError(f"{name} must be text of at most {limit} characters")
    return value


def choice(name: str, value, allowed: Iterable, default=None):
    """One of the values the page offers (None means the default)."""
    if value is None:
        return default
    if isinstance(value, (list, dict)) or value not in set(allowed):
        raise CallbackInputError(f"{name} is not one of the offered values")
    return value


def grid_selection(value, id_field: str, tag_field: str, most: int = 1000) -> list[tuple[int, str | None]]:
    """AG Grid's selectedRows: (whole-number id, short text tag or None) of each selected row."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > most or not all(isinstance(row, dict) for row in value):
        raise CallbackInputError(f"the selection must be a list of at most {most} rows")
    if not all(id_field in row for row in value):
        raise CallbackInputError(f"every selected row must have its {id_field}")
    return [(whole(id_field, row[id_field], 0, 1), text(tag_field, row.get(tag_field), 16) or None) for row in value]
