"""GET /metrics for Prometheus, readable with `Authorization: Bearer <METRICS_TOKEN>` only.

prometheus-flask-exporter measures every request (`flask_http_request_duration_seconds` by
endpoint); the cockpit's own families are in web/metric_families.py. Under several processes
(gunicorn workers) set PROMETHEUS_MULTIPROC_DIR in their environment: each process writes its values
there and a scrape adds them up. The directory must start empty: the first process that starts
while no other live process uses it empties it (`prepare_multiprocess_dir`); gunicorn's
`child_exit` hook should call `worker_exited(worker.pid)`.
"""
from __future__ import annotations

import fcntl
import hmac
import logging
import os
import time
from pathlib import Path

from flask import Response, current_app, g, request
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_flask_exporter import PrometheusMetrics

from web.metric_families import (BacklogCollector, CockpitMetrics, PrometheusMailMetrics, PrometheusTelemetry,
                                 callback_name)
from web.problem import problem

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DASH_CALLBACK_PATH = "/_dash-update-component"
EXTENSION = "metrics"


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_multiprocess_dir(folder: Path) -> bool:
    """Empty `folder` when no live process uses it (a fresh start), then register this process.
    Returns whether it was emptied. Each process leaves a `<pid>.pid` marker; a lock makes the check
    and the marker one step, so of several processes starting together exactly one empties it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        others = [int(p.stem) for p in folder.glob("*.pid") if p.stem.isdigit() and int(p.stem) != os.getpid()]
        fresh = not any(_alive(pid) for pid in others)
        if fresh:
            for stale in [*folder.glob("*.db"), *folder.glob("*.pid")]:
                stale.unlink(missing_ok=True)
        (folder / f"{os.getpid()}.pid").touch()
    return fresh


def worker_exited(pid: int) -> None:
    """gunicorn `child_exit` hook: the live gauges (SSE clients, breakers) drop the dead worker."""
    folder = multiprocess_dir()
    if folder is not None:
        multiprocess.mark_process_dead(pid, str(folder))
        (folder / f"{pid}.pid").unlink(missing_ok=True)


class MetricsExport:
    """The registry, the families and the /metrics view of one app."""

    def __init__(self, server, token: str, uow):
        self.token = token
        self.registry = CollectorRegistry()
        self.exporter = PrometheusMetrics(server, path=None, registry=self.registry, group_by="endpoint",
                                          excluded_paths=["^/metrics$"])
        self.families = CockpitMetrics(self.registry)
        self.telemetry = PrometheusTelemetry(self.families)
        self.mail = PrometheusMailMetrics(self.families)
        self.backlog = BacklogCollector(uow)
        self.multiprocess = multiprocess_dir()
        if self.multiprocess is None:
            self.registry.register(self.backlog)

    def authorized(self) -> bool:
        given = request.headers.get("Authorization", "")
        return bool(self.token) and hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def exposition(self) -> bytes:
        if self.multiprocess is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()  # every process's files, plus the database gauges once
        multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess))
        registry.register(self.backlog)
        return generate_latest(registry)

    def view(self):
        if not self.authorized():
            refused = problem(401, "Unauthorized", "Send Authorization: Bearer <METRICS_TOKEN>.")
            refused.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return refused
        return Response(self.exposition(), mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)  # what Prometheus 2.x parses


def install_metrics(server, settings, uow) -> PrometheusTelemetry:
    """GET /metrics and the request and Dash callback timings; returns the services' Telemetry.
    Install before the sign-in guard, so refused requests are timed too."""
    folder = multiprocess_dir()
    if folder is not None:
        prepare_multiprocess_dir(folder)
    export = MetricsExport(server, settings.metrics_token, uow)
    server.extensions[EXTENSION] = export
    server.add_url_rule("/metrics", "metrics", export.view, methods=["GET"])
    _time_dash_callbacks(server, export.families)
    return export.telemetry


def _time_dash_callbacks(server, families: CockpitMetrics) -> None:
    @server.before_request
    def _start():
        if request.path == DASH_CALLBACK_PATH:
            g.dash_callback_started = time.perf_counter()

    @server.after_request
    def _observe(response):
        started = g.pop("dash_callback_started", None)
        # Only a callback Dash ran (200, or 204 for PreventUpdate) names a real output: a label from
        # a refused or malformed body could be anything a caller made up.
        if started is not None and response.status_code in (200, 204):
            body = request.get_json(silent=True) or {}
            families.callback.labels(callback=callback_name(body.get("output"))).observe(
                time.perf_counter() - started)
        return response


def mail_metrics(server):
    """The email core's metrics object of this app (passed to build_dispatcher)."""
    return server.extensions[EXTENSION].mail


def set_sse_clients(count: int, app=None) -> None:
    """The SSE stream code reports how many streams this process holds open (summed over processes)."""
    export = (app or current_app).extensions.get(EXTENSION)
    if export is not None:
        export.families.sse_clients.set(count)


def count_signin_throttled(kind: str) -> None:
    """A sign-in was refused by the account or address throttle (services.auth.TooManyAttempts)."""
    export = current_app.extensions.get(EXTENSION)
    if export is not None:
        export.families.signin_throttled.labels(kind=kind).inc()
