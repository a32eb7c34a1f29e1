"""`python app.py` as `make run` starts it: one clear line for a wrong setting, a served demo otherwise."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _run(env: dict, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout)


def test_a_wrong_value_stops_start_up_with_one_line(tmp_path):
    result = _run({"COCKPIT_VAR_DIR": str(tmp_path), "COCKPIT_DEMO": "1", "PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: PORT='eighty' is not a whole number"


def test_production_mode_refuses_the_demo_token(tmp_path):
    result = _run({"COCKPIT_VAR_DIR": str(tmp_path), "COCKPIT_DEMO": "0", "COCKPIT_API_TOKEN": "demo-token",
                   "METRICS_TOKEN": "m" * 20})
    assert result.returncode == 2 and "COCKPIT_API_TOKEN is the public demo value" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_start_migrates_seeds_prints_credentials_and_serves(tmp_path):
    port = _free_port()
    env = {**os.environ, "COCKPIT_VAR_DIR": str(tmp_path), "COCKPIT_DEMO": "1", "COCKPIT_DEMO_LEADS": "200",
           "PORT": str(port), "SCHEDULER_ENABLED": "1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 300, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert health is not None and health.status_code == 200, "the server did not come up"
        assert health.headers["Server"] == "cockpit"  # waitress, not Flask's development server
        assert (tmp_path / "cockpit.db").exists() and (tmp_path / "secret_key").exists()
    finally:
        proc.terminate()  # SIGTERM, as an orchestrator or `kill` stops it
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0 and "cockpit: stopped" in output, output[-2000:]  # not make's "Error 143"
    assert f"Follow-up Cockpit on http://127.0.0.1:{port}" in output
    assert "admin, manager, sales, sales2, analyst, viewer (password 'demo')" in output
    assert "API token: demo-token" in output and "metrics token: demo-metrics" in output
