"""Settings: one frozen dataclass built from defaults <- environment <- an explicit mapping (tests).

A wrong value raises SettingsError with one line that names the variable and the reason;
`python app.py` prints that line and exits, so a misconfigured process never half-starts.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
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
    web_threads: int = 16
    demo: bool = False
    demo_seed: int = 42
    demo_leads: int = 2000
    api_token: str = ""
    metrics_token: str = ""
    scheduler_enabled: bool = False
    relay_enabled: bool = True
    cookie_secure: bool = False
    mail_dir: Path = Path("var/mail")

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
        "web_threads": _int("WEB_THREADS", env.get("WEB_THREADS", "16"), 2, 1024),
        "demo": demo,
        "demo_seed": _int("COCKPIT_DEMO_SEED", env.get("COCKPIT_DEMO_SEED", "42"), 0, 2**31),
        "demo_leads": _int("COCKPIT_DEMO_LEADS", env.get("COCKPIT_DEMO_LEADS", "2000"), 0, 1_000_000),
        "api_token": env.get("COCKPIT_API_TOKEN") or (DEMO_API_TOKEN if demo else ""),
        "metrics_token": env.get("METRICS_TOKEN") or (DEMO_METRICS_TOKEN if demo else ""),
        "scheduler_enabled": _bool("SCHEDULER_ENABLED", env.get("SCHEDULER_ENABLED", "0")),
        "relay_enabled": _bool("RELAY_ENABLED", env.get("RELAY_ENABLED", "1")),
        "cookie_secure": _bool("SESSION_COOKIE_SECURE", env.get("SESSION_COOKIE_SECURE", "0")),
        "mail_dir": Path(env.get("MAIL_DIR") or var_dir / "mail"),
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
