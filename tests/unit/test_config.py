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
