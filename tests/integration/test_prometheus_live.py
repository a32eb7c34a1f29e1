"""A real Prometheus scrapes the app served by waitress while follow-ups run, events arrive and mail
goes out; then every PromQL expression of the dashboard and of the alert rules is evaluated by it."""
from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
import requests

from services.followups import run_due_followups
from tests.conftest import ROOT, LiveServer, make_settings
from tests.http_helpers import leads_grid_body, post_callback, sign_in
from tests.integration.test_metrics import ALL_HOURS, AUTH, TOKEN, registration, sample, scrape

PROMETHEUS = "/usr/bin/prometheus"
DASHBOARD = ROOT / "grafana" / "dashboards" / "followup-cockpit.json"
ALERTS = ROOT / "grafana" / "alerts.yml"
RATE_INTERVAL = "30s"  # what Grafana's $__rate_interval becomes at a 1 s scrape interval, with room
LEADS_CALLBACK = leads_grid_body()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float = 20.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Prometheus:
    def __init__(self, folder, target: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                  "rule_files": [str(ALERTS)],
                  "scrape_configs": [{"job_name": "cockpit", "metrics_path": "/metrics",
                                      "authorization": {"type": "Bearer", "credentials": TOKEN},
                                      "static_configs": [{"targets": [target]}]}]}
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        self.log = (folder / "prometheus.log").open("w")
        self.process = subprocess.Popen([PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}",
                                         f"--storage.tsdb.path={folder / 'tsdb'}",
                                         f"--web.listen-address=127.0.0.1:{self.port}"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("Prometheus to be ready", self._ready)

    def _ready(self) -> bool:
        assert self.process.poll() is None, "prometheus exited; see prometheus.log"
        try:
            return requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def query(self, expr: str) -> dict:
        return requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10).json()

    def scrapes(self) -> int:
        """Successful scrapes of the app so far."""
        result = self.query('count_over_time(up{job="cockpit"}[5m])')["data"]["result"]
        up = self.query('up{job="cockpit"}')["data"]["result"]
        return int(float(result[0]["value"][1])) if result and up and up[0]["value"][1] == "1" else 0

    def alert_rules(self) -> list[dict]:
        """The rules Prometheus loaded from grafana/alerts.yml."""
        groups = requests.get(f"{self.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        return [rule for group in groups for rule in group["rules"]]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def panel_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = [(f"{p['title']} {t['refId']}", t["expr"].replace("$__rate_interval", RATE_INTERVAL))
             for p in dashboard["panels"] if p["type"] != "row" for t in p["targets"]]
    assert len(found) >= 18
    return found



def activity(live, app, phase: int) -> None:
    """What operators want to see: events (one sent twice), a follow-up run that sends mail, a callback."""
    api = {"Authorization": "Bearer test-token", "Content-Type": "application/cloudevents+json"}
    event = registration(f"phase{phase}@alpenblick.example", 73)  # registered 3 days ago: its T+3 is due
    assert requests.post(f"{live.url}/api/events", data=json.dumps(event), headers=api, timeout=10).status_code == 202
    assert requests.post(f"{live.url}/api/events", data=json.dumps(event), headers=api, timeout=10).status_code == 200
    wait_for("the relay to register the lead", lambda: sample(scrape(app), "events_consumed_total", consumer="lead-state",
                                                              type="com.freshplan.lead.registered.v1") == phase)
    deps = app.extensions["cockpit"]
    assert run_due_followups(deps.uow, deps.followups, deps.clock).counts[("T3", "sent")] >= 1
    wait_for("the file provider to send", lambda: (sample(scrape(app), "email_sent_total", provider="file") or 0) >= phase)
    assert post_callback(sign_in(live.url, "manager"), live.url, LEADS_CALLBACK).status_code == 200


@pytest.fixture
def served(tmp_path):
    from app import create_app, shutdown
    from web.metrics import set_sse_clients

    settings = make_settings(tmp_path, demo_leads=60, demo_simulator=False, **ALL_HOURS)
    app = create_app(settings)
    live = LiveServer(app)
    set_sse_clients(2, app)
    yield live, app, settings
    live.close()
    shutdown(app)


def test_every_dashboard_panel_and_alert_rule_evaluates_on_a_live_prometheus(served, tmp_path):
    live, app, _settings = served
    assert requests.get(f"{live.url}/metrics", timeout=10).status_code == 401
    assert requests.get(f"{live.url}/metrics", headers=AUTH, timeout=10).status_code == 200
    activity(live, app, phase=1)  # before the first scrape: every series exists from the start
    prometheus = Prometheus(tmp_path, live.url.removeprefix("http://"))
    try:
        wait_for("two scrapes", lambda: prometheus.scrapes() >= 2)
        activity(live, app, phase=2)  # between scrapes: rates and quantiles have increases
        seen = prometheus.scrapes()
        wait_for("two more scrapes", lambda: prometheus.scrapes() >= seen + 2)
        empty, broken = [], []
        for name, expr in panel_expressions():
            answer = prometheus.query(expr)
            if answer["status"] != "success":
                broken.append((name, answer.get("error")))
            elif not answer["data"]["result"]:
                empty.append(name)
        assert not broken, broken
        assert not empty, f"panels without data: {empty}"
        rules = prometheus.alert_rules()
        assert {r["name"] for r in rules} == {"FollowupErrorRateHigh", "OutboxLagHigh", "EmailCircuitBreakerOpen",
                                              "FollowupRunsMissing", "EventsParked"}
        for rule in rules:
            answer = prometheus.query(rule["query"])
            assert answer["status"] == "success", (rule["name"], answer.get("error"))
            assert rule["annotations"]["summary"] and rule["annotations"]["runbook"]
            assert rule["health"] != "err", (rule["name"], rule.get("lastError"))
        sent = prometheus.query('sum(email_sent_total{provider="file"})')["data"]["result"]
        assert float(sent[0]["value"][1]) >= 2
    finally:
        prometheus.stop()
