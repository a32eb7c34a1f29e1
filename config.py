"""Settings: one frozen dataclass built from defaults <- environment <- an explicit mapping (tests).

A wrong value raises SettingsError with one line that names the variable and the reason;
`python app.py` prints that line and exits, so a misconfigured process never half-starts.
"""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Mapping

DEMO_API_TOKEN = "demo-token"
DEMO_METRICS_TOKEN = "demo-metrics"
PROJECT_ROOT = Path(__file__).resolve().parent


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    analytics_path: Path
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8050
    web_threads: int = 124  # SSE_MAX_STREAMS (100) + 24 request threads
    demo: bool = False
    demo_seed: int = 42
    demo_leads: int = 2000
    # The demo simulator (pipelines/demo_simulator.py): on by default when COCKPIT_DEMO=1 is in the environment.
    demo_simulator: bool = False
    demo_simulator_interval_s: int = 5
    api_token: str = ""
    metrics_token: str = ""
    scheduler_enabled: bool = False
    relay_enabled: bool = True
    cookie_secure: bool = False
    mail_dir: Path = Path("var/mail")
    # Mail delivery (DESIGN section 5); parsed by _mail_values.
    mail_providers: tuple[str, ...] = ("file",)
    mail_from: str = "Follow-up Cockpit <noreply@localhost>"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "starttls"
    sendgrid_api_key: str = ""
    sendgrid_base_url: str = "https://api.sendgrid.com"
    ses_region: str = "eu-central-1"
    ses_endpoint_url: str = ""
    mail_rate_per_minute: int = 60
    mail_rate_per_hour: int = 240
    mail_max_attempts: int = 8
    public_base_url: str = "http://127.0.0.1:8050"
    # External event sinks (pipelines/sinks); parsed by _sink_values. An empty URL turns a sink off.
    webhook_url: str = ""
    webhook_secret: str = ""
    nats_url: str = ""
    nats_subject_prefix: str = "cockpit.events"
    nats_stream: str = "COCKPIT_EVENTS"
    sink_max_attempts: int = 8
    # Follow-up automation (DESIGN section 3); parsed by _followup_values.
    followup_business_hours: tuple[time, time] = (time(8), time(18))
    followup_business_days: frozenset[int] = frozenset(range(5))  # Monday=0
    followup_holidays: bool = True
    followup_interval_s: int = 120
    followup_stale_after_h: int = 24
    # Provider webhooks (web/mail_webhooks.py): shared secrets, SendGrid's signature key. Empty = refused.
    ses_webhook_secret: str = ""
    sendgrid_webhook_secret: str = ""
    sendgrid_webhook_public_key: str = ""
    # Conversion (issue 8): a classified reply below this confidence waits for a person to label it.
    reply_review_below: float = 0.6
    # Live cockpit (web/stream.py, pipelines/analytics_projection.py); parsed by _sse_values.
    sse_max_streams: int = 100
    sse_heartbeat_s: float = 15.0
    sse_debounce_ms: int = 100
    analytics_poll_s: float = 1.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def _secret_key(var_dir: Path, given: str | None) -> str:
    """Use SECRET_KEY when given; otherwise generate one once and keep it in var/ so sessions survive restarts."""
    if given:
        if len(given) < 16:
            raise SettingsError("SECRET_KEY is shorter than 16 characters")
        return given
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


MAIL_PROVIDER_NAMES = ("file", "smtp", "sendgrid", "ses")


def _mail_values(env: Mapping[str, str]) -> dict[str, object]:
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
        "smtp_port": _int("SMTP_PORT", env.get("SMTP_PORT", "465" if security == "ssl" else "587"), 1, 65535),
        "smtp_user": env.get("SMTP_USER", ""),
        "smtp_password": env.get("SMTP_PASSWORD", ""),
        "smtp_security": security,
        "sendgrid_api_key": env.get("SENDGRID_API_KEY", ""),
        "sendgrid_base_url": (env.get("SENDGRID_BASE_URL") or "https://api.sendgrid.com").rstrip("/"),
        "ses_region": env.get("SES_REGION") or "eu-central-1",
        "ses_endpoint_url": env.get("SES_ENDPOINT_URL", ""),
        "mail_rate_per_minute": _int("MAIL_RATE_PER_MINUTE", env.get("MAIL_RATE_PER_MINUTE", "60"), 1, 100_000),
        "mail_rate_per_hour": _int("MAIL_RATE_PER_HOUR", env.get("MAIL_RATE_PER_HOUR", "240"), 1, 1_000_000),
        "mail_max_attempts": _int("MAIL_MAX_ATTEMPTS", env.get("MAIL_MAX_ATTEMPTS", "8"), 1, 100),
        "public_base_url": (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8050").rstrip("/"),
    }


NATS_SUBJECT = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
NATS_STREAM = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _sink_values(env: Mapping[str, str]) -> dict[str, object]:
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
            "sink_max_attempts": _int("SINK_MAX_ATTEMPTS", env.get("SINK_MAX_ATTEMPTS", "8"), 1, 100)}


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


def _followup_values(env: Mapping[str, str]) -> dict[str, object]:
    return {
        "followup_business_hours": _business_hours(env.get("FOLLOWUP_BUSINESS_HOURS", "08:00-18:00")),
        "followup_business_days": _business_days(env.get("FOLLOWUP_BUSINESS_DAYS", "Mon-Fri")),
        "followup_holidays": _bool("FOLLOWUP_HOLIDAYS", env.get("FOLLOWUP_HOLIDAYS", "on")),
        "followup_interval_s": _int("FOLLOWUP_INTERVAL_S", env.get("FOLLOWUP_INTERVAL_S", "120"), 5, 86_400),
        "followup_stale_after_h": _int("FOLLOWUP_STALE_AFTER_H", env.get("FOLLOWUP_STALE_AFTER_H", "24"), 1, 720),
    }


def _sse_values(env: Mapping[str, str]) -> dict[str, object]:
    heartbeat = env.get("SSE_HEARTBEAT_S", "15")
    try:
        heartbeat_s = float(heartbeat)
    except ValueError:
        raise SettingsError(f"SSE_HEARTBEAT_S={heartbeat!r} is not a number of seconds") from None
    if not 0.05 <= heartbeat_s <= 300:
        raise SettingsError(f"SSE_HEARTBEAT_S={heartbeat!r} must be between 0.05 and 300 seconds")
    return {
        "sse_max_streams": _int("SSE_MAX_STREAMS", env.get("SSE_MAX_STREAMS", "100"), 0, 10_000),
        "sse_heartbeat_s": heartbeat_s,
        "sse_debounce_ms": _int("SSE_DEBOUNCE_MS", env.get("SSE_DEBOUNCE_MS", "100"), 0, 5_000),
        "analytics_poll_s": float(_int("ANALYTICS_POLL_MS", env.get("ANALYTICS_POLL_MS", "1000"), 50, 60_000)) / 1000,
    }


def _share(name: str, raw: str) -> float:
    """A number from 0 to 1, e.g. a confidence threshold."""
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name}={value} is outside 0..1")
    return value


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (field names, typed values)."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    var_dir = Path(overrides.pop("var_dir", None) or env.get("COCKPIT_VAR_DIR") or PROJECT_ROOT / "var")
    demo = _bool("COCKPIT_DEMO", env.get("COCKPIT_DEMO", "0"))
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'cockpit.db'}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError(f"DATABASE_URL must start with sqlite:// or postgresql://, got {database_url.split(':')[0]!r}")
    values: dict[str, object] = {
        "var_dir": var_dir,
        "database_url": database_url,
        "analytics_path": Path(env.get("ANALYTICS_PATH") or var_dir / "analytics.duckdb"),
        "host": env.get("HOST", "127.0.0.1"),
        "port": _int("PORT", env.get("PORT", "8050"), 1, 65535),
        # Each open cockpit stream holds a thread: cover SSE_MAX_STREAMS plus request threads.
        "web_threads": _int("WEB_THREADS", env.get("WEB_THREADS", "124"), 2, 1024),
        "demo": demo,
        "demo_seed": _int("COCKPIT_DEMO_SEED", env.get("COCKPIT_DEMO_SEED", "42"), 0, 2**31),
        "demo_leads": _int("COCKPIT_DEMO_LEADS", env.get("COCKPIT_DEMO_LEADS", "2000"), 0, 1_000_000),
        "demo_simulator": _bool("DEMO_SIMULATOR", env.get("DEMO_SIMULATOR", "1" if demo else "0")),
        "demo_simulator_interval_s": _int("DEMO_SIMULATOR_INTERVAL_S", env.get("DEMO_SIMULATOR_INTERVAL_S", "5"), 1, 3600),
        "api_token": env.get("COCKPIT_API_TOKEN") or (DEMO_API_TOKEN if demo else ""),
        "metrics_token": env.get("METRICS_TOKEN") or (DEMO_METRICS_TOKEN if demo else ""),
        "scheduler_enabled": _bool("SCHEDULER_ENABLED", env.get("SCHEDULER_ENABLED", "0")),
        "relay_enabled": _bool("RELAY_ENABLED", env.get("RELAY_ENABLED", "1")),
        "cookie_secure": _bool("SESSION_COOKIE_SECURE", env.get("SESSION_COOKIE_SECURE", "0")),
        "mail_dir": Path(env.get("MAIL_DIR") or var_dir / "mail"),
        **_mail_values(env),
        **_sink_values(env),
        **_followup_values(env),
        **_sse_values(env),
        "ses_webhook_secret": env.get("SES_WEBHOOK_SECRET", ""),
        "sendgrid_webhook_secret": env.get("SENDGRID_WEBHOOK_SECRET", ""),
        "sendgrid_webhook_public_key": env.get("SENDGRID_WEBHOOK_PUBLIC_KEY", "").strip(),
        "reply_review_below": _share("REPLY_REVIEW_BELOW", env.get("REPLY_REVIEW_BELOW", "0.6")),
    }
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values.update(overrides)
    if "secret_key" not in values:
        values["secret_key"] = _secret_key(var_dir, env.get("SECRET_KEY"))
    settings = Settings(**values)  # type: ignore[arg-type]
    _refuse_default_secrets(settings)
    return settings


def _refuse_default_secrets(settings: Settings) -> None:
    """Outside demo mode the well-known demo tokens (or none at all) would leave the API open."""
    if settings.demo:
        return
    for name, value, demo_value in (
        ("COCKPIT_API_TOKEN", settings.api_token, DEMO_API_TOKEN),
        ("METRICS_TOKEN", settings.metrics_token, DEMO_METRICS_TOKEN),
    ):
        if not value:
            raise SettingsError(f"{name} is not set (required outside demo mode; set COCKPIT_DEMO=1 for a demo)")
        if value == demo_value:
            raise SettingsError(f"{name} is the public demo value; choose a secret outside demo mode")
