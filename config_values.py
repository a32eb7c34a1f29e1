"""How a setting is declared and how its raw text is read.

A parser turns one variable's text into a typed value, or stops start-up with a SettingsError whose one
line names the variable and the reason; a check is a rule between a setting and the settings above it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Callable, Mapping

Parse = Callable[[str, str], Any]  # (variable, text) -> value
Derive = Callable[[Mapping[str, Any]], Any]  # the settings read so far -> a default
Check = Callable[[str, Any, Mapping[str, Any]], str | None]  # (variable, value, settings so far) -> error


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Setting:
    """One setting as an operator sees it: its variable(s), how the text is read, its default and meaning."""

    env: tuple[str, ...]  # the first one set wins
    parse: Parse
    default: str | Derive  # text read like the variable's, or text derived from the settings above
    meaning: str
    blank_is_default: bool = False  # an empty variable counts as unset (otherwise "" is parsed)
    check: Check | None = None
    fill: Derive | None = None  # after overrides, an empty value becomes fill(final settings)

    def read(self, env: Mapping[str, str], above: Mapping[str, Any]) -> Any:
        """The value from the environment, else from the default; parsed and checked either way."""
        name, raw = self._given(env)
        if raw is None:
            raw = self.default if isinstance(self.default, str) else self.default(above)
        value = self.parse(name, raw)
        error = self.check(name, value, above) if self.check else None
        if error:
            raise SettingsError(error)
        return value

    def _given(self, env: Mapping[str, str]) -> tuple[str, str | None]:
        for name in self.env:
            raw = env.get(name)
            if raw is not None and (raw or not self.blank_is_default):
                return name, raw
        return self.env[0], None


def setting(env: str | tuple[str, ...], parse: Parse, default: str | Derive = "", meaning: str = "", *,
            blank_is_default: bool = False, check: Check | None = None, fill: Derive | None = None) -> Any:
    """A Settings field: everything about the setting lives in its metadata, nothing in a default."""
    names = (env,) if isinstance(env, str) else env
    return field(metadata={"setting": Setting(names, parse, default, meaning, blank_is_default, check, fill)})


# --- parsers -------------------------------------------------------------------------------------------

def text(name: str, raw: str) -> str:
    return raw


def stripped(name: str, raw: str) -> str:
    return raw.strip()


def path(name: str, raw: str) -> Path:
    return Path(raw)


def without_trailing_slash(name: str, raw: str) -> str:
    return raw.rstrip("/")


def public_url(name: str, raw: str) -> str:
    return raw.strip().rstrip("/")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def parse_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def whole(low: int, high: int) -> Parse:
    return lambda name, raw: parse_int(name, raw, low, high)


def number(low: float, high: float) -> Parse:
    return lambda name, raw: parse_float(name, raw, low, high)


def millis_as_seconds(low: int, high: int) -> Parse:
    return lambda name, raw: parse_int(name, raw, low, high) / 1000


def _either(options: tuple[str, ...]) -> str:
    return f"{', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else options[0]


def url(*schemes: str, accepted: tuple[str, ...] = ()) -> Parse:
    """A URL starting with one of `schemes` (or of the looser `accepted` prefixes); empty means off."""
    def parse(name: str, raw: str) -> str:
        if raw and not raw.startswith(accepted or schemes):
            raise SettingsError(f"{name} must start with {_either(schemes)}, got {raw.split(':')[0]!r}")
        return raw
    return parse


def stripped_url(*schemes: str) -> Parse:
    inner = url(*schemes)
    return lambda name, raw: inner(name, raw.strip())


def secret(min_length: int) -> Parse:
    """A secret of at least `min_length` characters; empty means not given."""
    def parse(name: str, raw: str) -> str:
        if raw and len(raw) < min_length:
            raise SettingsError(f"{name} is shorter than {min_length} characters")
        return raw
    return parse


def one_of(*options: str) -> Parse:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise SettingsError(f"{name}={value!r} is not one of {', '.join(options)}")
        return value
    return parse


def matching(pattern: str, description: str) -> Parse:
    compiled = re.compile(pattern)

    def parse(name: str, raw: str) -> str:
        if not compiled.match(raw):
            raise SettingsError(f"{name}={raw!r} is not {description}")
        return raw
    return parse


def provider_list(*known: str) -> Parse:
    """An ordered, comma-separated list of known providers, each once, at least one."""
    def parse(name: str, raw: str) -> tuple[str, ...]:
        names = tuple(p.strip().lower() for p in raw.split(",") if p.strip())
        for item in names:
            if item not in known:
                raise SettingsError(f"{name} names {item!r}; known: {', '.join(known)}")
        if not names or len(set(names)) != len(names):
            raise SettingsError(f"{name} must list at least one provider, each once")
        return names
    return parse


BUSINESS_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def business_hours(name: str, raw: str) -> tuple[time, time]:
    match = BUSINESS_HOURS.match(raw.strip())
    try:
        opens, closes = (time(int(h), int(m)) for h, m in ((match[1], match[2]), (match[3], match[4])))
    except (TypeError, ValueError):
        raise SettingsError(f"{name}={raw!r} is not HH:MM-HH:MM (e.g. 08:00-18:00)") from None
    if closes <= opens:
        raise SettingsError(f"{name}={raw!r} must close after it opens")
    return opens, closes


def _weekday(name: str, raw: str, part: str) -> int:
    day = part.strip().lower()[:3]
    if day not in WEEKDAYS:
        raise SettingsError(f"{name}={raw!r} names {part.strip()!r}; use Mon..Sun, e.g. Mon-Fri or Mon,Wed,Fri")
    return WEEKDAYS.index(day)


def business_days(name: str, raw: str) -> frozenset[int]:
    """`Mon-Fri`, `Mon,Wed,Fri` or `Sun-Thu` (a range may wrap past Sunday); Monday is 0."""
    days: set[int] = set()
    for item in filter(str.strip, raw.split(",")):
        first, _, last = item.partition("-")
        start, end = _weekday(name, raw, first), _weekday(name, raw, last or first)
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    if not days:
        raise SettingsError(f"{name}={raw!r} names no day; use Mon..Sun, e.g. Mon-Fri")
    return frozenset(days)


# --- checks: rules between a setting and the settings above it ------------------------------------------

def required_when_provider(provider: str) -> Check:
    def check(name: str, value: Any, above: Mapping[str, Any]) -> str | None:
        if provider in above["mail_providers"] and not value:
            return f"{name} is not set (required when MAIL_PROVIDERS lists {provider})"
        return None
    return check


def signs_the_webhook(name: str, value: str, above: Mapping[str, Any]) -> str | None:
    if above["webhook_url"] and len(value) < 16:
        return f"{name} must be set to at least 16 characters when WEBHOOK_URL is set"
    return None


WEB_CONNECTIONS_BESIDES_STREAMS = 100  # page loads, callbacks and API calls next to the open streams


def leaves_room_beside_streams(name: str, value: int, above: Mapping[str, Any]) -> str | None:
    streams = above["sse_max_streams"]
    if value < streams + WEB_CONNECTIONS_BESIDES_STREAMS:
        return (f"{name}={value} must exceed SSE_MAX_STREAMS ({streams}) by {WEB_CONNECTIONS_BESIDES_STREAMS}: "
                "open streams would leave no room for requests")
    return None
