"""GET /metrics: the token, a valid exposition (promtool), the follow-up counters, the alert rules, and
counters that add up over several processes (multiprocess mode)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, time as clock_time, timedelta, timezone
from pathlib import Path

import pytest

from services.followups import run_due_followups
from tests.conftest import ROOT, make_settings

TOKEN = "test-metrics"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROMTOOL = "/usr/bin/promtool"
ALL_HOURS = dict(followup_business_hours=(clock_time(0, 0), clock_time(23, 59)),
                 followup_business_days=frozenset(range(7)), followup_holidays=False)


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in an exposition, or None when it is not there."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match[1] or "").split(","))).strip(",") == wanted:
            return float(match[2])
    return None


def post_event(app, event: dict):
    return app.test_client().post("/api/events", data=json.dumps(event), content_type="application/cloudevents+json",
                                  headers={"Authorization": "Bearer test-token"})


def scrape(app) -> str:
    response = app.test_client().get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def registration(email: str, hours_ago: float) -> dict:
    at = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    return {"specversion": "1.0", "id": f"crm-{email}", "source": "/crm", "type": "com.freshplan.lead.registered.v1",
            "data": {"company": "Hotel Alpenblick", "business_type": "HOTEL", "registered_at": at.isoformat(),
                     "email": email, "owner": "sales", "email_consent": True}}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_metrics_without_the_token_is_refused_with_a_problem(app, headers):
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Unauthorized"
    assert "followup_" not in response.get_data(as_text=True)


def test_scraped_metrics_pass_promtool_and_name_every_family(app, tmp_path):
    app.test_client().get("/healthz")
    text = scrape(app)
    (tmp_path / "scrape.txt").write_text(text)
    check = subprocess.run([PROMTOOL, "check", "metrics"], stdin=(tmp_path / "scrape.txt").open(),
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    for name, kind in [("followup_processed_total", "counter"), ("followup_errors_total", "counter"),
                       ("followup_pending", "gauge"), ("followup_processing_duration_seconds", "histogram"),
                       ("events_published_total", "counter"), ("outbox_lag_seconds", "gauge"),
                       ("email_circuit_breaker_state", "gauge"), ("sse_clients", "gauge"),
                       ("dash_callback_duration_seconds", "histogram"),
                       ("flask_http_request_duration_seconds", "histogram")]:
        assert f"# TYPE {name} {kind}" in text
    assert sample(text, "email_circuit_breaker_state", provider="file") == 0
    assert sample(text, "followup_pending", step="T3") is not None


def test_alert_rules_pass_promtool():
    check = subprocess.run([PROMTOOL, "check", "rules", str(ROOT / "grafana" / "alerts.yml")],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "5 rules found" in check.stdout


def test_no_address_name_or_id_appears_in_a_label(tmp_path):
    from app import create_app, shutdown

    app = create_app(make_settings(tmp_path, demo_leads=30, **ALL_HOURS))
    try:
        client = app.test_client()
        assert post_event(app, registration("anna.secret@alpenblick.example", 73)).status_code == 202
        client.get("/leads/1")
        labels = " ".join(re.findall(r"\{[^}]*\}", scrape(app)))
        assert "@" not in labels and "alpenblick" not in labels.lower() and "/leads/1" not in labels
    finally:
        shutdown(app)


@pytest.fixture
def quiet_app(tmp_path):
    """No background threads: the test moves the relay itself. Every hour of every day is a business hour."""
    from app import create_app, shutdown

    settings = make_settings(tmp_path, demo_leads=0, relay_enabled=False, **ALL_HOURS)
    app = create_app(settings)
    yield app, settings
    shutdown(app)


def test_a_follow_up_run_increments_processed_and_the_run_histogram(quiet_app):
    app, _settings = quiet_app
    relay, deps = app.extensions["relay"], app.extensions["cockpit"]
    assert post_event(app, registration("due@alpenblick.example", 73)).status_code == 202
    relay.run_once()  # the lead is registered and its T+3 is planned (due an hour ago)
    before = scrape(app)
    assert sample(before, "followup_pending", step="T3") == 1
    assert sample(before, "events_consumed_total", type="com.freshplan.lead.registered.v1", consumer="lead-state") == 1

    summary = run_due_followups(deps.uow, deps.followups, deps.clock)  # the app's automation, with its telemetry
    assert summary.counts[("T3", "sent")] == 1
    after = scrape(app)
    assert (sample(before, "followup_processed_total", step="T3") or 0) == 0
    assert sample(after, "followup_processed_total", step="T3") == 1
    assert sample(after, "followup_processing_duration_seconds_count") == 1
    assert sample(after, "followup_pending", step="T3") == 0 and sample(after, "followup_pending", step="T7") == 1
    assert sample(after, "followup_last_run_timestamp_seconds") > time.time() - 60


WORKER = """
import json, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/tests")
from collections import Counter
from datetime import datetime, timezone
from conftest import make_settings
from app import create_app
from services.followup_automation import RunSummary
from web.metrics import set_sse_clients

app = create_app(make_settings(__import__("pathlib").Path(sys.argv[1]), demo_leads=0, relay_enabled=False))
steps = json.loads(sys.argv[2])
if steps:
    summary = RunSummary("run", datetime.now(timezone.utc), duration_s=0.2, counts=Counter({{("T3", "sent"): steps}}))
    app.extensions["metrics"].telemetry.followup_run_finished(summary)
    set_sse_clients(steps, app)
    for _ in range(steps):
        app.test_client().get("/healthz")
    print("ready", flush=True)
    sys.stdin.readline()  # stay alive until the test has scraped
else:
    print(app.test_client().get("/metrics", headers={{"Authorization": "Bearer test-metrics"}}).get_data(as_text=True))
"""


def _process(folder: Path, multiproc: Path, steps: int) -> subprocess.Popen:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    return subprocess.Popen([sys.executable, "-c", WORKER.format(root=str(ROOT)), str(folder), json.dumps(steps)],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def test_counters_add_up_over_several_processes(tmp_path):
    """Two workers count, a third process serves /metrics: the scrape shows the sum (multiprocess mode)."""
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"left over from a previous start")
    workers = [_process(tmp_path / f"w{n}", multiproc, steps) for n, steps in ((1, 2), (2, 3))]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        scraper = _process(tmp_path / "s", multiproc, 0)
        text, _ = scraper.communicate(timeout=60)
        assert scraper.returncode == 0
    finally:
        for worker in workers:
            worker.communicate("\n", timeout=30)
    assert not (multiproc / "counter_999999.db").exists()  # the first process emptied the directory
    assert sample(text, "followup_processed_total", step="T3") == 5
    assert sample(text, "followup_processing_duration_seconds_count") == 2
    assert sample(text, "sse_clients") == 5
    assert sample(text, "flask_http_request_total", method="GET", status="200") >= 5
