"""Settings: defaults, environment, explicit overrides, and one clear line for a wrong value."""
import pytest

from config import SettingsError, load_settings


def test_defaults_point_into_var(tmp_path):
    s = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert s.database_url == f"sqlite:///{tmp_path / 'cockpit.db'}"
    assert s.analytics_path == tmp_path / "analytics.duckdb"
    assert s.port == 8050 and s.api_token == "demo-token" and s.metrics_token == "demo-metrics"


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path}).secret_key
    second = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path}).secret_key
    assert first == second and len(first) >= 32


def test_environment_then_overrides(tmp_path):
    env = {"COCKPIT_DEMO": "1", "PORT": "9000", "SCHEDULER_ENABLED": "yes"}
    s = load_settings(environ=env, overrides={"var_dir": tmp_path, "port": 9100})
    assert s.port == 9100 and s.scheduler_enabled is True


@pytest.mark.parametrize("env,message", [
    ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
    ({"PORT": "70000"}, "PORT=70000 is outside 1..65535"),
    ({"SCHEDULER_ENABLED": "maybe"}, "SCHEDULER_ENABLED='maybe' is not a boolean"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with sqlite:// or postgresql://"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 16 characters"),
])
def test_wrong_values_stop_with_one_line(tmp_path, env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_production_refuses_demo_or_missing_secrets(tmp_path):
    with pytest.raises(SettingsError, match="COCKPIT_API_TOKEN is not set"):
        load_settings(environ={}, overrides={"var_dir": tmp_path})
    with pytest.raises(SettingsError, match="public demo value"):
        load_settings(environ={"COCKPIT_API_TOKEN": "demo-token", "METRICS_TOKEN": "x" * 20}, overrides={"var_dir": tmp_path})
    ok = load_settings(environ={"COCKPIT_API_TOKEN": "a" * 20, "METRICS_TOKEN": "b" * 20}, overrides={"var_dir": tmp_path})
    assert ok.demo is False


def test_sinks_are_off_by_default_and_read_from_the_environment(tmp_path):
    off = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert (off.webhook_url, off.nats_url, off.sink_max_attempts) == ("", "", 8)
    assert (off.nats_subject_prefix, off.nats_stream) == ("cockpit.events", "COCKPIT_EVENTS")
    env = {"COCKPIT_DEMO": "1", "WEBHOOK_URL": "https://hooks.example/cockpit", "WEBHOOK_SECRET": "s" * 16,
           "NATS_URL": "nats://127.0.0.1:4222", "NATS_SUBJECT_PREFIX": "fp.events", "NATS_STREAM": "FP_EVENTS",
           "SINK_MAX_ATTEMPTS": "3"}
    on = load_settings(environ=env, overrides={"var_dir": tmp_path})
    assert (on.webhook_url, on.webhook_secret, on.nats_url) == ("https://hooks.example/cockpit", "s" * 16, "nats://127.0.0.1:4222")
    assert (on.nats_subject_prefix, on.nats_stream, on.sink_max_attempts) == ("fp.events", "FP_EVENTS", 3)


@pytest.mark.parametrize("env,message", [
    ({"WEBHOOK_URL": "https://hooks.example/x"}, "WEBHOOK_SECRET must be set to at least 16 characters"),
    ({"WEBHOOK_URL": "https://hooks.example/x", "WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET must be set to at least 16"),
    ({"WEBHOOK_URL": "ftp://hooks.example/x", "WEBHOOK_SECRET": "s" * 16}, "WEBHOOK_URL must start with http:// or https://"),
    ({"NATS_URL": "http://127.0.0.1:4222"}, "NATS_URL must start with nats://"),
    ({"NATS_SUBJECT_PREFIX": "cockpit.*"}, "NATS_SUBJECT_PREFIX='cockpit.*' is not dot-separated"),
    ({"NATS_STREAM": "COCKPIT.EVENTS"}, "NATS_STREAM='COCKPIT.EVENTS' is not 1-64 letters"),
    ({"SINK_MAX_ATTEMPTS": "0"}, "SINK_MAX_ATTEMPTS=0 is outside 1..100"),
])
def test_wrong_sink_settings_stop_with_one_line(tmp_path, env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_mail_defaults_to_the_file_provider_with_the_documented_limits(tmp_path):
    s = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert (s.mail_providers, s.mail_dir) == (("file",), tmp_path / "mail")
    assert (s.mail_rate_per_minute, s.mail_rate_per_hour, s.mail_max_attempts) == (60, 240, 8)
    assert (s.public_base_url, s.smtp_security, s.smtp_port) == ("http://127.0.0.1:8050", "starttls", 587)


def test_mail_providers_and_their_settings_come_from_the_environment(tmp_path):
    env = {"COCKPIT_DEMO": "1", "MAIL_PROVIDERS": "SMTP, sendgrid,ses", "SMTP_HOST": "mail.example",
           "SMTP_SECURITY": "ssl", "SMTP_USER": "u", "SMTP_PASSWORD": "p", "SENDGRID_API_KEY": "SG.x",
           "SENDGRID_BASE_URL": "http://127.0.0.1:9000/", "SES_REGION": "eu-west-1",
           "SES_ENDPOINT_URL": "http://127.0.0.1:5000", "MAIL_FROM": "Vertrieb <v@frisch.example>",
           "MAIL_RATE_PER_MINUTE": "10", "MAIL_RATE_PER_HOUR": "100", "MAIL_MAX_ATTEMPTS": "3",
           "PUBLIC_BASE_URL": "https://cockpit.frisch.example/"}
    s = load_settings(environ=env, overrides={"var_dir": tmp_path})
    assert s.mail_providers == ("smtp", "sendgrid", "ses")
    assert (s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password) == ("mail.example", 465, "ssl", "u", "p")
    assert (s.sendgrid_api_key, s.sendgrid_base_url) == ("SG.x", "http://127.0.0.1:9000")
    assert (s.ses_region, s.ses_endpoint_url, s.mail_from) == ("eu-west-1", "http://127.0.0.1:5000", "Vertrieb <v@frisch.example>")
    assert (s.mail_rate_per_minute, s.mail_rate_per_hour, s.mail_max_attempts) == (10, 100, 3)
    assert s.public_base_url == "https://cockpit.frisch.example"


@pytest.mark.parametrize("env,expected", [
    ({"PORT": "9000"}, "http://127.0.0.1:9000"),
    ({"HOST": "0.0.0.0", "PORT": "8443"}, "http://127.0.0.1:8443"),
    ({"HOST": "cockpit.internal", "PORT": "8050"}, "http://cockpit.internal:8050"),
    ({"PORT": "9000", "PUBLIC_URL": "https://cockpit.frisch.example/"}, "https://cockpit.frisch.example"),
])
def test_mail_links_point_where_the_server_listens_unless_a_public_url_is_set(tmp_path, env, expected):
    settings = load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert settings.public_base_url == expected


@pytest.mark.parametrize("env,message", [
    ({"MAIL_PROVIDERS": "file,postal"}, "MAIL_PROVIDERS names 'postal'"),
    ({"MAIL_PROVIDERS": "file,file"}, "MAIL_PROVIDERS must list at least one provider, each once"),
    ({"MAIL_PROVIDERS": " , "}, "MAIL_PROVIDERS must list at least one provider"),
    ({"MAIL_PROVIDERS": "smtp"}, "SMTP_HOST is not set"),
    ({"MAIL_PROVIDERS": "sendgrid"}, "SENDGRID_API_KEY is not set"),
    ({"SMTP_SECURITY": "tls13"}, "SMTP_SECURITY='tls13' is not one of starttls, ssl, none"),
    ({"MAIL_RATE_PER_MINUTE": "0"}, "MAIL_RATE_PER_MINUTE=0 is outside"),
    ({"MAIL_MAX_ATTEMPTS": "many"}, "MAIL_MAX_ATTEMPTS='many' is not a whole number"),
])
def test_wrong_mail_settings_stop_with_one_line(tmp_path, env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_followup_settings_defaults_and_values(tmp_path):
    from datetime import time

    s = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert s.followup_business_hours == (time(8), time(18)) and s.followup_business_days == frozenset(range(5))
    assert s.followup_holidays is True and s.followup_interval_s == 120 and s.followup_stale_after_h == 24
    env = {"COCKPIT_DEMO": "1", "FOLLOWUP_BUSINESS_HOURS": "07:30-17:00", "FOLLOWUP_BUSINESS_DAYS": "Sun-Thu",
           "FOLLOWUP_HOLIDAYS": "off", "FOLLOWUP_INTERVAL_S": "60", "FOLLOWUP_STALE_AFTER_H": "6"}
    s = load_settings(environ=env, overrides={"var_dir": tmp_path})
    assert s.followup_business_hours == (time(7, 30), time(17)) and s.followup_business_days == {6, 0, 1, 2, 3}
    assert (s.followup_holidays, s.followup_interval_s, s.followup_stale_after_h) == (False, 60, 6)
    s = load_settings(environ={**env, "FOLLOWUP_BUSINESS_DAYS": "Mon,Wed,Fri"}, overrides={"var_dir": tmp_path})
    assert s.followup_business_days == {0, 2, 4}


@pytest.mark.parametrize("env,message", [
    ({"FOLLOWUP_BUSINESS_HOURS": "8-18"}, "FOLLOWUP_BUSINESS_HOURS='8-18' is not HH:MM-HH:MM"),
    ({"FOLLOWUP_BUSINESS_HOURS": "08:00-25:00"}, "FOLLOWUP_BUSINESS_HOURS='08:00-25:00' is not HH:MM-HH:MM"),
    ({"FOLLOWUP_BUSINESS_HOURS": "18:00-08:00"}, "FOLLOWUP_BUSINESS_HOURS='18:00-08:00' must close after it opens"),
    ({"FOLLOWUP_BUSINESS_DAYS": "Mon-Fry"}, "FOLLOWUP_BUSINESS_DAYS='Mon-Fry' names 'Fry'; use Mon..Sun"),
    ({"FOLLOWUP_BUSINESS_DAYS": " , "}, "FOLLOWUP_BUSINESS_DAYS=' , ' names no day"),
    ({"FOLLOWUP_HOLIDAYS": "sometimes"}, "FOLLOWUP_HOLIDAYS='sometimes' is not a boolean"),
    ({"FOLLOWUP_INTERVAL_S": "2"}, "FOLLOWUP_INTERVAL_S=2 is outside 5..86400"),
    ({"FOLLOWUP_STALE_AFTER_H": "a day"}, "FOLLOWUP_STALE_AFTER_H='a day' is not a whole number"),
])
def test_wrong_followup_settings_stop_with_one_line(tmp_path, env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_demo_simulator_runs_by_default_in_demo_mode_only(tmp_path):
    demo = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert demo.demo_simulator is True and demo.demo_simulator_interval_s == 5
    off = load_settings(environ={"COCKPIT_DEMO": "1", "DEMO_SIMULATOR": "0", "DEMO_SIMULATOR_INTERVAL_S": "2"},
                        overrides={"var_dir": tmp_path})
    assert off.demo_simulator is False and off.demo_simulator_interval_s == 2
    # tests pass demo=True as an override: the simulator stays off unless asked for
    assert load_settings(environ={}, overrides={"var_dir": tmp_path, "demo": True, "api_token": "t" * 16,
                                                "metrics_token": "m" * 16}).demo_simulator is False
    with pytest.raises(SettingsError, match="DEMO_SIMULATOR_INTERVAL_S=0 is outside 1..3600"):
        load_settings(environ={"COCKPIT_DEMO": "1", "DEMO_SIMULATOR_INTERVAL_S": "0"}, overrides={"var_dir": tmp_path})


def test_live_cockpit_stream_settings_and_a_thread_pool_that_covers_the_stream_cap(tmp_path):
    s = load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path})
    assert (s.sse_max_streams, s.sse_heartbeat_s, s.sse_debounce_ms) == (100, 15.0, 100)
    assert s.web_threads >= s.sse_max_streams + 16  # every open stream holds a waitress thread
    env = {"COCKPIT_DEMO": "1", "SSE_MAX_STREAMS": "250", "SSE_HEARTBEAT_S": "2.5", "ANALYTICS_POLL_MS": "200"}
    tuned = load_settings(environ=env, overrides={"var_dir": tmp_path})
    assert (tuned.sse_max_streams, tuned.sse_heartbeat_s, tuned.analytics_poll_s) == (250, 2.5, 0.2)


@pytest.mark.parametrize("env,message", [
    ({"SSE_MAX_STREAMS": "many"}, "SSE_MAX_STREAMS='many' is not a whole number"),
    ({"SSE_HEARTBEAT_S": "soon"}, "SSE_HEARTBEAT_S='soon' is not a number"),
    ({"SSE_HEARTBEAT_S": "0"}, "SSE_HEARTBEAT_S=0.0 is outside 0.05..300"),
])
def test_wrong_stream_settings_fail_with_one_clear_line(tmp_path, env, message):
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"COCKPIT_DEMO": "1", **env}, overrides={"var_dir": tmp_path})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_inbound_webhook_is_refused_until_its_secret_is_set(tmp_path):
    assert load_settings(environ={"COCKPIT_DEMO": "1"}, overrides={"var_dir": tmp_path}).inbound_webhook_secret == ""
    env = {"COCKPIT_DEMO": "1", "INBOUND_WEBHOOK_SECRET": "parse-secret-42"}
    assert load_settings(environ=env, overrides={"var_dir": tmp_path}).inbound_webhook_secret == "parse-secret-42"
