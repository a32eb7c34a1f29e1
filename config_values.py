"""Parsers of the settings' raw text: each turns one environment value (or one family of values)
into typed settings, or stops start-up with a SettingsError naming the variable and the reason."""
from __future__ import annotations

import re
from datetime import time
from typing import Mapping


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


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


MAIL_PROVIDER_NAMES = ("file", "smtp", "sendgrid", "ses")


def mail_values(env: Mapping[str, str]) -> dict[str, object]:
    """The mail settings; a provider listed in MAIL_PROVIDERS without what it needs stops start-up."""
    providers = tuple(p.strip().lower() for p in env.get("MAIL_PROVIDERS", "file").split(",") if p.strip())
    for name in providers:
        if name not in MAIL_PROVIDER_NAMES:
            raise SettingsError(f"MAIL_PROVIDERS names {name!r}; known: {', '.join(MAIL_PROVIDER_NAMES)}")
    if not providers or len(set(providers)) != len(providers):
        raise SettingsError("MAIL_PROVIDERS must list at least one provider, each once")
    security = env.get("SMTP_SECURITY", "starttls").strip().lower()
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError(f"SMTP_SECURITY={security!r} is not one of starttls, ssl, none")
    if "smtp" in providers and not env.get("SMTP_HOST"):
        raise SettingsError("SMTP_HOST is not set (required when MAIL_PROVIDERS lists smtp)")
    if "sendgrid" in providers and not env.get("SENDGRID_API_KEY"):
        raise SettingsError("SENDGRID_API_KEY is not set (required when MAIL_PROVIDERS lists sendgrid)")
    return {
        "mail_providers": providers,
        "mail_from": env.get("MAIL_FROM") or "Follow-up Cockpit <noreply@localhost>",
        "smtp_host": env.get("SMTP_HOST", ""),
        "smtp_port": parse_int("SMTP_PORT", env.get("SMTP_PORT", "465" if security == "ssl" else "587"), 1, 65535),
        "smtp_user": env.get("SMTP_USER", ""),
        "smtp_password": env.get("SMTP_PASSWORD", ""),
        "smtp_security": security,
        "sendgrid_api_key": env.get("SENDGRID_API_KEY", ""),
        "sendgrid_base_url": (env.get("SENDGRID_BASE_URL") or "https://api.sendgrid.com").rstrip("/"),
        "ses_region": env.get("SES_REGION") or "eu-central-1",
        "ses_endpoint_url": env.get("SES_ENDPOINT_URL", ""),
        "mail_rate_per_minute": parse_int("MAIL_RATE_PER_MINUTE", env.get("MAIL_RATE_PER_MINUTE", "60"), 1, 100_000),
        "mail_rate_per_hour": parse_int("MAIL_RATE_PER_HOUR", env.get("MAIL_RATE_PER_HOUR", "240"), 1, 1_000_000),
        "mail_max_attempts": parse_int("MAIL_MAX_ATTEMPTS", env.get("MAIL_MAX_ATTEMPTS", "8"), 1, 100),
        # Empty: derived from HOST and PORT once those are known (config.load_settings).
        "public_base_url": (env.get("PUBLIC_URL") or env.get("PUBLIC_BASE_URL") or "").strip().rstrip("/"),
    }


NATS_SUBJECT = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
NATS_STREAM = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def sink_values(env: Mapping[str, str]) -> dict[str, object]:
    """The event sink settings; a webhook without a signing secret, or a malformed URL, stops start-up."""
    url, secret, nats_url = env.get("WEBHOOK_URL", "").strip(), env.get("WEBHOOK_SECRET", ""), env.get("NATS_URL", "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"WEBHOOK_URL must start with http:// or https://, got {url.split(':')[0]!r}")
    if url and len(secret) < 16:
        raise SettingsError("WEBHOOK_SECRET must be set to at least 16 characters when WEBHOOK_URL is set")
    if nats_url and not nats_url.startswith(("nats://", "tls://", "ws://", "wss://")):
        raise SettingsError(f"NATS_URL must start with nats://, tls://, ws:// or wss://, got {nats_url.split(':')[0]!r}")
    prefix, stream = env.get("NATS_SUBJECT_PREFIX") or "cockpit.events", env.get("NATS_STREAM") or "COCKPIT_EVENTS"
    if not NATS_SUBJECT.match(prefix):
        raise SettingsError(f"NATS_SUBJECT_PREFIX={prefix!r} is not dot-separated letters, digits, _ or -")
    if not NATS_STREAM.match(stream):
        raise SettingsError(f"NATS_STREAM={stream!r} is not 1-64 letters, digits, _ or -")
    return {"webhook_url": url, "webhook_secret": secret, "nats_url": nats_url, "nats_subject_prefix": prefix,
            "nats_stream": stream,
            "sink_max_attempts": parse_int("SINK_MAX_ATTEMPTS", env.get("SINK_MAX_ATTEMPTS", "8"), 1, 100)}


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUSINESS_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _business_hours(raw: str) -> tuple[time, time]:
    match = BUSINESS_HOURS.match(raw.strip())
    try:
        opens, closes = (time(int(h), int(m)) for h, m in ((match[1], match[2]), (match[3], match[4])))
    except (TypeError, ValueError):
        raise SettingsError(f"FOLLOWUP_BUSINESS_HOURS={raw!r} is not HH:MM-HH:MM (e.g. 08:00-18:00)") from None
    if closes <= opens:
        raise SettingsError(f"FOLLOWUP_BUSINESS_HOURS={raw!r} must close after it opens")
    return opens, closes


def _weekday(raw: str, part: str) -> int:
    name = part.strip().lower()[:3]
    if name not in WEEKDAYS:
        raise SettingsError(f"FOLLOWUP_BUSINESS_DAYS={raw!r} names {part.strip()!r}; use Mon..Sun, e.g. Mon-Fri or Mon,Wed,Fri")
    return WEEKDAYS.index(name)


def _business_days(raw: str) -> frozenset[int]:
    """`Mon-Fri`, `Mon,Wed,Fri` or `Sun-Thu` (a range may wrap past Sunday)."""
    days: set[int] = set()
    for item in filter(str.strip, raw.split(",")):
        first, _, last = item.partition("-")
        start, end = _weekday(raw, first), _weekday(raw, last or first)
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    if not days:
        raise SettingsError(f"FOLLOWUP_BUSINESS_DAYS={raw!r} names no day; use Mon..Sun, e.g. Mon-Fri")
    return frozenset(days)


def followup_values(env: Mapping[str, str]) -> dict[str, object]:
    return {
        "followup_business_hours": _business_hours(env.get("FOLLOWUP_BUSINESS_HOURS", "08:00-18:00")),
        "followup_business_days": _business_days(env.get("FOLLOWUP_BUSINESS_DAYS", "Mon-Fri")),
        "followup_holidays": parse_bool("FOLLOWUP_HOLIDAYS", env.get("FOLLOWUP_HOLIDAYS", "on")),
        "followup_interval_s": parse_int("FOLLOWUP_INTERVAL_S", env.get("FOLLOWUP_INTERVAL_S", "120"), 5, 86_400),
        "followup_stale_after_h": parse_int("FOLLOWUP_STALE_AFTER_H", env.get("FOLLOWUP_STALE_AFTER_H", "24"), 1, 720),
    }


def sse_values(env: Mapping[str, str]) -> dict[str, object]:
    return {
        "sse_max_streams": parse_int("SSE_MAX_STREAMS", env.get("SSE_MAX_STREAMS", "100"), 0, 10_000),
        "sse_heartbeat_s": parse_float("SSE_HEARTBEAT_S", env.get("SSE_HEARTBEAT_S", "15"), 0.05, 300),
        "sse_debounce_ms": parse_int("SSE_DEBOUNCE_MS", env.get("SSE_DEBOUNCE_MS", "100"), 0, 5_000),
        "analytics_poll_s": parse_int("ANALYTICS_POLL_MS", env.get("ANALYTICS_POLL_MS", "1000"), 50, 60_000) / 1000,
    }


WEB_CONNECTIONS_BESIDES_STREAMS = 100  # page loads, callbacks and API calls next to the open streams


def web_values(env: Mapping[str, str], sse_max_streams: int) -> dict[str, object]:
    """Waitress's connection limits (web/serving.py). The limit is high so that idle sockets cannot fill
    it; the channel timeout is short so that, past the limit, idle sockets are closed within a minute."""
    default_limit = max(1000, sse_max_streams + WEB_CONNECTIONS_BESIDES_STREAMS)
    limit = parse_int("WEB_CONNECTION_LIMIT", env.get("WEB_CONNECTION_LIMIT", str(default_limit)), 1, 100_000)
    if limit < sse_max_streams + WEB_CONNECTIONS_BESIDES_STREAMS:
        raise SettingsError(f"WEB_CONNECTION_LIMIT={limit} must exceed SSE_MAX_STREAMS ({sse_max_streams}) "
                            f"by {WEB_CONNECTIONS_BESIDES_STREAMS}: open streams would leave no room for requests")
    return {
        "web_connection_limit": limit,
        "web_channel_timeout_s": parse_int("WEB_CHANNEL_TIMEOUT_S", env.get("WEB_CHANNEL_TIMEOUT_S", "30"), 1, 3600),
    }


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def parse_share(name: str, raw: str) -> float:
    """A number from 0 to 1, e.g. a confidence threshold."""
    return parse_float(name, raw, 0.0, 1.0)
