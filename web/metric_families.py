"""The Prometheus metric families of Follow-up Cockpit and the adapters that feed them.

One `CockpitMetrics` per app, on the app's own registry (a second app in one process must not
raise "Duplicated timeseries"). In multiprocess mode (PROMETHEUS_MULTIPROC_DIR) prometheus_client
writes every value to a file per process and the scrape adds them up, so every value that differs
between processes is a real counter, histogram or gauge here; values that are the same for every
process (read from the database) are computed at scrape time by `BacklogCollector`.
"""
from __future__ import annotations

import json
import logging
import re
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from mailer.metrics import MailMetrics
from services.clock import utc_now
from services.telemetry import held_events_by_consumer, outbox_lag_seconds, pending_followups

log = logging.getLogger(__name__)
BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
CALLBACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5)
QUIET_OUTCOMES = {"paused", "done"}  # a look at a lead with nothing to do is not a processed step


class CockpitMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.registry = registry
        r = {"registry": registry}
        self.processed = Counter("followup_processed", "Follow-up steps handled by the runs (sent, skipped, "
                                 "failed, re-planned, taken), by step", ["step"], **r)
        self.errors = Counter("followup_errors", "Follow-up steps that failed, by step and failure class",
                              ["step", "reason"], **r)
        self.duration = Histogram("followup_processing_duration_seconds", "Duration of one follow-up run",
                                  buckets=RUN_BUCKETS, **r)
        self.last_run = Gauge("followup_last_run_timestamp_seconds", "Unix time the last follow-up run ended",
                              multiprocess_mode="max", **r)
        self.published = Counter("events_published", "Events the relay handed to consumers and sinks, by type",
                                 ["type"], **r)
        self.consumed = Counter("events_consumed", "Events a consumer applied, by type and consumer",
                                ["type", "consumer"], **r)
        self.deduplicated = Counter("events_deduplicated", "Repeated events that changed nothing, by type and "
                                    "consumer (`ingest`: POST /api/events)", ["type", "consumer"], **r)
        self.mail_sent = Counter("email_sent", "Mails a provider accepted, by provider", ["provider"], **r)
        self.mail_failed = Counter("email_failed", "Failed provider calls, by provider and reason "
                                   "(temporary, permanent, throttled, unconfirmed)", ["provider", "reason"], **r)
        self.rate_limit_waits = Counter("email_rate_limit_waits", "Times a provider was passed over because its "
                                        "rate limit was full", ["provider"], **r)
        self.breaker = Gauge("email_circuit_breaker_state", "Circuit breaker per provider: 0 closed, "
                             "1 half-open, 2 open", ["provider"], multiprocess_mode="livemax", **r)
        self.mail_queue = Gauge("email_queue_depth", "Mails queued or waiting for a retry",
                                multiprocess_mode="livemax", **r)
        self.sse_clients = Gauge("sse_clients", "Open server-sent event streams", multiprocess_mode="livesum", **r)
        self.callback = Histogram("dash_callback_duration_seconds", "Dash callback latency by output",
                                  ["callback"], buckets=CALLBACK_BUCKETS, **r)
        self.signin_throttled = Counter("signin_throttled", "Sign-ins refused after too many recent failures, "
                                        "by throttle (account or address)", ["kind"], **r)
        for kind in ("account", "address"):  # both at 0 from the start, so rates are defined
            self.signin_throttled.labels(kind=kind)


class PrometheusTelemetry:
    """services.telemetry.Telemetry, recorded in Prometheus metrics."""

    def __init__(self, metrics: CockpitMetrics):
        self.metrics = metrics

    def followup_run_finished(self, summary) -> None:
        m = self.metrics
        for (step, outcome), n in summary.counts.items():
            if step != "-" and outcome not in QUIET_OUTCOMES:
                m.processed.labels(step=step).inc(n)
        for (step, reason), n in summary.errors.items():
            m.errors.labels(step=step, reason=reason).inc(n)
        m.duration.observe(summary.duration_s)
        m.last_run.set(time.time())

    def event_published(self, type_: str) -> None:
        self.metrics.published.labels(type=type_).inc()

    def event_consumed(self, type_: str, consumer: str) -> None:
        self.metrics.consumed.labels(type=type_, consumer=consumer).inc()

    def event_deduplicated(self, type_: str, consumer: str) -> None:
        self.metrics.deduplicated.labels(type=type_, consumer=consumer).inc()


class PrometheusMailMetrics(MailMetrics):
    """The email core's counters, also recorded in Prometheus metrics so they add up across processes."""

    def __init__(self, metrics: CockpitMetrics):
        super().__init__()
        self.prom = metrics

    def sent(self, provider: str) -> None:
        super().sent(provider)
        self.prom.mail_sent.labels(provider=provider).inc()

    def failed(self, provider: str, reason: str) -> None:
        super().failed(provider, reason)
        self.prom.mail_failed.labels(provider=provider, reason=reason).inc()

    def rate_limit_wait(self, provider: str) -> None:
        super().rate_limit_wait(provider)
        self.prom.rate_limit_waits.labels(provider=provider).inc()

    def breaker_state(self, provider: str, state: str) -> None:
        super().breaker_state(provider, state)
        self.prom.breaker.labels(provider=provider).set(BREAKER_VALUES.get(state, 2))
        # every provider shows up with 0 before its first send, so rates are defined from the start
        self.prom.mail_sent.labels(provider=provider)

    def queue_depth(self, depth: int) -> None:
        super().queue_depth(depth)
        self.prom.mail_queue.set(depth)


class BacklogCollector:
    """Gauges read from the database at scrape time: the same for every process, so not per process."""

    def __init__(self, uow, clock=utc_now):
        self.uow, self.clock = uow, clock

    def describe(self):
        return []  # read lazily: registering must not query the database

    def collect(self):
        try:
            pending, lag = pending_followups(self.uow), outbox_lag_seconds(self.uow, self.clock())
            held = held_events_by_consumer(self.uow)
        except Exception:  # noqa: BLE001 - a database hiccup must not fail the whole scrape
            log.warning("metrics: could not read the backlog", exc_info=True)
            return
        family = GaugeMetricFamily("followup_pending", "Planned follow-up steps not yet handled, by step",
                                   labels=["step"])
        for step, count in pending.items():
            family.add_metric([step], count)
        yield family
        yield GaugeMetricFamily("outbox_lag_seconds", "Age of the oldest event not yet delivered to the "
                                "consumers (0: none waiting)", value=lag)
        parked = GaugeMetricFamily("events_parked", "Events a consumer gave up on after every retry, waiting for "
                                   "an admin on /admin/events, by consumer", labels=["consumer"])
        waiting = GaugeMetricFamily("events_held", "Events a consumer has not applied yet: retrying, parked, or "
                                    "waiting behind one of their subject, by consumer", labels=["consumer"])
        for consumer, (n_parked, n_held) in held.items():
            parked.add_metric([consumer], n_parked)
            waiting.add_metric([consumer], n_held)
        yield parked
        yield waiting


_PATTERN_ID = re.compile(r"\{[^{}]*\}")


def callback_name(output: object) -> str:
    """A Dash output id as a bounded label: pattern-matching ids keep their keys and `type`, never
    their index values (which may be lead or user ids)."""
    if not isinstance(output, str) or not output:
        return "unknown"

    def wildcard(match: re.Match) -> str:
        try:
            parts = json.loads(match.group())
        except ValueError:
            return "{…}"
        return "{" + ",".join(f"{k}:{v if k == 'type' else '*'}" for k, v in sorted(parts.items())) + "}"

    return _PATTERN_ID.sub(wildcard, output).strip(".")[:160]
