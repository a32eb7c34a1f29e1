"""Settings: one frozen dataclass built from defaults <- environment <- an explicit mapping (tests).

A wrong value raises SettingsError with one line that names the variable and the reason;
`python app.py` prints that line and exits, so a misconfigured process never half-starts.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Mapping

from config_values import (SettingsError, followup_values, mail_values, parse_bool, parse_int, parse_share,
                           sink_values, sse_values, web_values)

DEMO_API_TOKEN = "demo-token"
DEMO_METRICS_TOKEN = "demo-metrics"
PROJECT_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    analytics_path: Path
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8050
    web_threads: int = 124  # SSE_MAX_STREAMS (100) + 24 request threads
    # Waitress's connection limits (web/serving.py); parsed by web_values.
    web_connection_limit: int = 1000
    web_channel_timeout_s: int = 30
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
    tracking_enabled: bool = True  # open pixel and signed click links in sent mail (TRACKING_ENABLED=0: off)
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
    # Inbound replies (web/inbound_mail.py, SendGrid Inbound Parse): the shared secret. Empty = refused.
    inbound_webhook_secret: str = ""
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


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (field names, typed values)."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    var_dir = Path(overrides.pop("var_dir", None) or env.get("COCKPIT_VAR_DIR") or PROJECT_ROOT / "var")
    demo = parse_bool("COCKPIT_DEMO", env.get("COCKPIT_DEMO", "0"))
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'cockpit.db'}"
    if not database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError(f"DATABASE_URL must start with sqlite:// or postgresql://, got {database_url.split(':')[0]!r}")
    values: dict[str, object] = {
        "var_dir": var_dir,
        "database_url": database_url,
        "analytics_path": Path(env.get("ANALYTICS_PATH") or var_dir / "analytics.duckdb"),
        "host": env.get("HOST", "127.0.0.1"),
        "port": parse_int("PORT", env.get("PORT", "8050"), 1, 65535),
        # Each open cockpit stream holds a thread: cover SSE_MAX_STREAMS plus request threads.
        "web_threads": parse_int("WEB_THREADS", env.get("WEB_THREADS", "124"), 2, 1024),
        "demo": demo,
        "demo_seed": parse_int("COCKPIT_DEMO_SEED", env.get("COCKPIT_DEMO_SEED", "42"), 0, 2**31),
        "demo_leads": parse_int("COCKPIT_DEMO_LEADS", env.get("COCKPIT_DEMO_LEADS", "2000"), 0, 1_000_000),
        "demo_simulator": parse_bool("DEMO_SIMULATOR", env.get("DEMO_SIMULATOR", "1" if demo else "0")),
        "demo_simulator_interval_s": parse_int("DEMO_SIMULATOR_INTERVAL_S", env.get("DEMO_SIMULATOR_INTERVAL_S", "5"), 1, 3600),
        "api_token": env.get("COCKPIT_API_TOKEN") or (DEMO_API_TOKEN if demo else ""),
        "metrics_token": env.get("METRICS_TOKEN") or (DEMO_METRICS_TOKEN if demo else ""),
        "scheduler_enabled": parse_bool("SCHEDULER_ENABLED", env.get("SCHEDULER_ENABLED", "0")),
        "relay_enabled": parse_bool("RELAY_ENABLED", env.get("RELAY_ENABLED", "1")),
        "cookie_secure": parse_bool("SESSION_COOKIE_SECURE", env.get("SESSION_COOKIE_SECURE", "0")),
        "tracking_enabled": parse_bool("TRACKING_ENABLED", env.get("TRACKING_ENABLED", "1")),
        "mail_dir": Path(env.get("MAIL_DIR") or var_dir / "mail"),
        **mail_values(env),
        **sink_values(env),
        **followup_values(env),
        **sse_values(env),
        "ses_webhook_secret": env.get("SES_WEBHOOK_SECRET", ""),
        "sendgrid_webhook_secret": env.get("SENDGRID_WEBHOOK_SECRET", ""),
        "sendgrid_webhook_public_key": env.get("SENDGRID_WEBHOOK_PUBLIC_KEY", "").strip(),
        "inbound_webhook_secret": env.get("INBOUND_WEBHOOK_SECRET", ""),
        "reply_review_below": parse_share("REPLY_REVIEW_BELOW", env.get("REPLY_REVIEW_BELOW", "0.6")),
    }
    values.update(web_values(env, values["sse_max_streams"]))  # the limit leaves room beside the streams
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values.update(overrides)
    if not values["public_base_url"]:  # links in mail point where this server listens unless told otherwise
        host = "127.0.0.1" if values["host"] in ("0.0.0.0", "::", "") else values["host"]
        values["public_base_url"] = f"http://{host}:{values['port']}"
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
