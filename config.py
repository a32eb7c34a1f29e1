"""Settings, each declared once: a field of Settings whose metadata holds its variable, how its text is read
(type, bounds, the one-line error), its default and its meaning (config_values.setting).

load_settings builds them from the defaults <- the environment <- an explicit mapping (tests):
  1. each setting from its variable or its default, in the order declared below (a default may derive
     from the settings above it, and a check compares it with them);
  2. the explicit overrides (field names, typed values, not parsed again) replace them;
  3. the settings with a fill (the secret key, the public URL) are read unless overridden, and filled
     from the final settings when empty;
  4. outside demo mode the demo tokens, or none at all, are refused.
A wrong value raises SettingsError with one line that names the variable and the reason; `python app.py`
prints that line and exits, so a misconfigured process never half-starts.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Any, Mapping

from config_values import (WEB_CONNECTIONS_BESIDES_STREAMS, Derive, Setting, SettingsError, business_days,
                           business_hours, leaves_room_beside_streams, matching, millis_as_seconds, number,
                           one_of, parse_bool, path, provider_list, public_url, required_when_provider, secret, setting,
                           signs_the_webhook, stripped, stripped_url, text, url, whole, without_trailing_slash)

DEMO_API_TOKEN = "demo-token"
DEMO_METRICS_TOKEN = "demo-metrics"
PROJECT_ROOT = Path(__file__).resolve().parent
MAIL_PROVIDER_NAMES = ("file", "smtp", "sendgrid", "ses")
NATS_SUBJECT = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
NATS_STREAM = r"^[A-Za-z0-9_-]{1,64}$"


def _in_var(name: str) -> Derive:
    return lambda above: str(above["var_dir"] / name)


def _next_to_analytics(name: str) -> Derive:
    return lambda above: str(above["analytics_path"].parent / name)


def _in_demo_mode(token: str) -> Derive:
    return lambda above: token if above["demo"] else ""


def _smtp_port(above: Mapping[str, Any]) -> str:
    return "465" if above["smtp_security"] == "ssl" else "587"


def _kept_secret_key(final: Mapping[str, Any]) -> str:
    """Generated once and kept in var/, so that sessions survive restarts."""
    var_dir: Path = final["var_dir"]
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _where_this_server_listens(final: Mapping[str, Any]) -> str:
    host = "127.0.0.1" if final["host"] in ("0.0.0.0", "::", "") else final["host"]
    return f"http://{host}:{final['port']}"


@dataclass(frozen=True, kw_only=True)
class Settings:
    var_dir: Path = setting("COCKPIT_VAR_DIR", path, lambda _: str(PROJECT_ROOT / "var"),
                            "where the embedded files live", blank_is_default=True)
    demo: bool = setting("COCKPIT_DEMO", parse_bool, "0", "seed demo data on an empty database; allows the demo tokens")
    database_url: str = setting("DATABASE_URL", url("sqlite://", "postgresql://", accepted=("sqlite", "postgresql")),
                                lambda above: f"sqlite:///{above['var_dir'] / 'cockpit.db'}", "the records",
                                blank_is_default=True)
    analytics_path: Path = setting("ANALYTICS_PATH", path, _in_var("analytics.duckdb"),
                                   "the DuckDB analytics file of this process", blank_is_default=True)
    secret_key: str = setting("SECRET_KEY", secret(16), "", "signs session cookies and CSRF tokens",
                              fill=_kept_secret_key)
    host: str = setting("HOST", text, "127.0.0.1", "where the server listens")
    port: int = setting("PORT", whole(1, 65535), "8050", "where the server listens")
    # The live cockpit (web/stream.py, pipelines/analytics_projection.py).
    sse_max_streams: int = setting("SSE_MAX_STREAMS", whole(0, 10_000), "100", "live cockpit streams per process")
    sse_heartbeat_s: float = setting("SSE_HEARTBEAT_S", number(0.05, 300), "15", "seconds between heartbeats")
    sse_debounce_ms: int = setting("SSE_DEBOUNCE_MS", whole(0, 5_000), "100", "at most one push per this many ms")
    analytics_memory_mb: int = setting("ANALYTICS_MEMORY_MB", whole(64, 1_048_576), "512",
                                       "memory the analytics replica (DuckDB) may hold; beyond it, sorts spill to disk")
    analytics_threads: int = setting("ANALYTICS_THREADS", whole(1, 256), "2", "threads of the analytics replica's queries")
    read_snapshot_max_age_s: float = setting("READ_SNAPSHOT_MAX_AGE_S", number(0, 300), "5",
                                             "seconds a shared cockpit or analytics snapshot is reused at most (0: never)")
    analytics_poll_s: float = setting("ANALYTICS_POLL_MS", millis_as_seconds(50, 60_000), "1000",
                                      "fallback poll of the analytics projection, in ms")
    # Snapshots of the analytics replica (pipelines/replica_snapshots.py): a new replica loads the newest one.
    analytics_snapshot_dir: Path = setting("ANALYTICS_SNAPSHOT_DIR", path, _next_to_analytics("analytics-snapshots"),
                                           "snapshots shared by the replicas of one deployment", blank_is_default=True)
    analytics_snapshot_interval_s: int = setting("ANALYTICS_SNAPSHOT_INTERVAL_S", whole(0, 86_400), "600",
                                                 "seconds between snapshots; 0: this process writes none")
    # Waitress (web/serving.py): each open stream holds a thread; the connection limit is high so that idle
    # sockets cannot fill it, the channel timeout short so that past it idle sockets close within a minute.
    web_threads: int = setting("WEB_THREADS", whole(2, 1024), "124", "worker threads: SSE_MAX_STREAMS plus 24")
    web_connection_limit: int = setting(
        "WEB_CONNECTION_LIMIT", whole(1, 100_000),
        lambda above: str(max(1000, above["sse_max_streams"] + WEB_CONNECTIONS_BESIDES_STREAMS)),
        "open connections served at once", check=leaves_room_beside_streams)
    web_channel_timeout_s: int = setting("WEB_CHANNEL_TIMEOUT_S", whole(1, 3600), "30",
                                         "seconds before a connection with no request running is closed")
    web_trusted_proxies: int = setting("WEB_TRUSTED_PROXIES", whole(0, 5), "0",
                                       "proxies in front whose X-Forwarded-For/-Proto are believed (deploy/: 1)")
    demo_seed: int = setting("COCKPIT_DEMO_SEED", whole(0, 2**31), "42", "seed of the demo data")
    demo_leads: int = setting("COCKPIT_DEMO_LEADS", whole(0, 1_000_000), "2000", "leads in the demo data")
    demo_simulator: bool = setting("DEMO_SIMULATOR", parse_bool, lambda above: "1" if above["demo"] else "0",
                                   "play the other systems (demo/simulator.py)")
    demo_simulator_interval_s: int = setting("DEMO_SIMULATOR_INTERVAL_S", whole(1, 3600), "5",
                                             "seconds between the simulator's rounds")
    api_token: str = setting("COCKPIT_API_TOKEN", text, _in_demo_mode(DEMO_API_TOKEN),
                             "Bearer token of the event API", blank_is_default=True)
    metrics_token: str = setting("METRICS_TOKEN", text, _in_demo_mode(DEMO_METRICS_TOKEN),
                                 "Bearer token of /metrics", blank_is_default=True)
    scheduler_enabled: bool = setting("SCHEDULER_ENABLED", parse_bool, "0", "run the follow-up scheduler here")
    relay_enabled: bool = setting("RELAY_ENABLED", parse_bool, "1", "run the event relay thread here")
    cookie_secure: bool = setting("SESSION_COOKIE_SECURE", parse_bool, "0", "cookies only over HTTPS")
    # Mail delivery (DESIGN section 5); a provider listed without what it needs stops start-up.
    mail_providers: tuple[str, ...] = setting("MAIL_PROVIDERS", provider_list(*MAIL_PROVIDER_NAMES), "file",
                                              "ordered, comma-separated mail providers")
    smtp_security: str = setting("SMTP_SECURITY", one_of("starttls", "ssl", "none"), "starttls",
                                 "starttls, ssl (implicit TLS) or none")
    smtp_host: str = setting("SMTP_HOST", text, "", "the SMTP server", check=required_when_provider("smtp"))
    smtp_port: int = setting("SMTP_PORT", whole(1, 65535), _smtp_port, "the SMTP server's port")
    smtp_user: str = setting("SMTP_USER", text, "", "SMTP login when set")
    smtp_password: str = setting("SMTP_PASSWORD", text, "", "SMTP login when set")
    sendgrid_api_key: str = setting("SENDGRID_API_KEY", text, "", "SendGrid v3 mail send",
                                    check=required_when_provider("sendgrid"))
    sendgrid_base_url: str = setting("SENDGRID_BASE_URL", without_trailing_slash, "https://api.sendgrid.com",
                                     "SendGrid's API", blank_is_default=True)
    ses_region: str = setting("SES_REGION", text, "eu-central-1", "SESv2 region", blank_is_default=True)
    ses_endpoint_url: str = setting("SES_ENDPOINT_URL", text, "", "SESv2 endpoint; empty: AWS")
    mail_from: str = setting("MAIL_FROM", text, "Follow-up Cockpit <noreply@localhost>", "the sender",
                             blank_is_default=True)
    mail_rate_per_minute: int = setting("MAIL_RATE_PER_MINUTE", whole(1, 100_000), "60", "per provider and process")
    mail_rate_per_hour: int = setting("MAIL_RATE_PER_HOUR", whole(1, 1_000_000), "240", "per provider and process")
    mail_max_attempts: int = setting("MAIL_MAX_ATTEMPTS", whole(1, 100), "8", "tries before a message is dead")
    mail_dir: Path = setting("MAIL_DIR", path, _in_var("mail"), "where the file provider writes one .eml per message",
                             blank_is_default=True)
    public_base_url: str = setting(("PUBLIC_URL", "PUBLIC_BASE_URL"), public_url, "", "the base of links in mail",
                                   blank_is_default=True, fill=_where_this_server_listens)
    tracking_enabled: bool = setting("TRACKING_ENABLED", parse_bool, "1", "open pixel and signed click links in mail")
    # External event sinks (pipelines/sinks); an empty URL turns a sink off.
    webhook_url: str = setting("WEBHOOK_URL", stripped_url("http://", "https://"), "", "POST every event here")
    webhook_secret: str = setting("WEBHOOK_SECRET", text, "", "HMAC key of the webhook's signature",
                                  check=signs_the_webhook)
    nats_url: str = setting("NATS_URL", stripped_url("nats://", "tls://", "ws://", "wss://"), "",
                            "publish every event to NATS JetStream")
    nats_subject_prefix: str = setting("NATS_SUBJECT_PREFIX", matching(NATS_SUBJECT, "dot-separated letters, "
                                       "digits, _ or -"), "cockpit.events", "subject <prefix>.<type>",
                                       blank_is_default=True)
    nats_stream: str = setting("NATS_STREAM", matching(NATS_STREAM, "1-64 letters, digits, _ or -"),
                               "COCKPIT_EVENTS", "the JetStream stream", blank_is_default=True)
    sink_max_attempts: int = setting("SINK_MAX_ATTEMPTS", whole(1, 100), "8", "tries before a dead letter")
    # Follow-up automation (DESIGN section 3).
    followup_business_hours: tuple[time, time] = setting("FOLLOWUP_BUSINESS_HOURS", business_hours, "08:00-18:00",
                                                         "sending hours, in each lead's time zone")
    followup_business_days: frozenset[int] = setting("FOLLOWUP_BUSINESS_DAYS", business_days, "Mon-Fri",
                                                     "business days (Monday=0)")
    followup_holidays: bool = setting("FOLLOWUP_HOLIDAYS", parse_bool, "on", "skip the lead's public holidays")
    followup_interval_s: int = setting("FOLLOWUP_INTERVAL_S", whole(5, 86_400), "120", "how often the run starts")
    followup_stale_after_h: int = setting("FOLLOWUP_STALE_AFTER_H", whole(1, 720), "24",
                                          "a step this late is re-planned, not sent")
    # Provider and inbound webhooks (web/mail_webhooks.py, web/inbound_mail.py): empty = refused.
    ses_webhook_secret: str = setting("SES_WEBHOOK_SECRET", text, "", "shared secret of SES's notifications")
    sendgrid_webhook_secret: str = setting("SENDGRID_WEBHOOK_SECRET", text, "", "shared secret of SendGrid's events")
    sendgrid_webhook_public_key: str = setting("SENDGRID_WEBHOOK_PUBLIC_KEY", stripped, "",
                                               "SendGrid's signed event webhook verification key")
    inbound_webhook_secret: str = setting("INBOUND_WEBHOOK_SECRET", text, "", "shared secret of inbound replies")
    reply_review_below: float = setting("REPLY_REVIEW_BELOW", number(0.0, 1.0), "0.6",
                                        "a classified reply below this confidence waits for a person")


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Settings)}


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (field names, typed values)."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    explicit_dir = overrides.pop("var_dir", None)
    if explicit_dir:  # the other defaults point into it, so an explicit one comes first
        values["var_dir"] = Path(explicit_dir)
    for name, spec in SETTINGS.items():
        if name not in values and not spec.fill:
            values[name] = spec.read(env, values)
    unknown = set(overrides) - set(SETTINGS)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values.update(overrides)
    for name, spec in SETTINGS.items():
        if spec.fill:  # read last, so that an override spares reading (and generating) it
            values[name] = values[name] if name in values else spec.read(env, values)
            values[name] = values[name] or spec.fill(values)
    settings = Settings(**values)
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
