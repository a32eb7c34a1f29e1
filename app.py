"""Composition root: builds Flask + Dash + sign-in + dependencies once; `python app.py` serves it.

Only this module wires things together; nothing imports it.
"""
from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from config import Settings, SettingsError, load_settings


def _exit_on_bad_settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    _exit_on_bad_settings()  # before the heavy imports below: a wrong value fails in milliseconds

import dash  # noqa: E402
from flask import Flask  # noqa: E402
from flask_wtf.csrf import CSRFProtect
from waitress import serve
from werkzeug.middleware.proxy_fix import ProxyFix

from data.commit_flags import ANY_WRITE, EVENTS_WRITTEN, SINK_DELIVERIES_QUEUED, TASKS_WRITTEN
from data.db import make_engine, make_session_factory, refresh_statistics
from data.migrate import upgrade
from data.uow import SqlAlchemyUnitOfWork
from data.duckdb_replica import open_replica
from data.warehouse import DuckDbLimits
from mailer.dispatcher import build_dispatcher
from pipelines.analytics_projection import AnalyticsProjection
from pipelines.broadcast import Broadcaster
from pipelines.consumers.lead_state import LeadStateConsumer
from pipelines.consumers.conversion import ConversionConsumer
from pipelines.catalog.producers import add_producer_modules
from pipelines.pg_notify import listen_for_events
from pipelines.relay import Relay
from pipelines.replica_snapshots import ReplicaSnapshots
from pipelines.scheduler import start_scheduler, stop_scheduler
from pipelines.sinks.dispatcher import SinkDispatcher
from pipelines.sinks.nats import NatsSink
from pipelines.sinks.webhook import WebhookSink
from runtime.heap import freeze_start_up_heap
from services.auth import hash_password
from services.conversions import setup_for
from services.deps import EXTENSION, Dependencies
from services.read_snapshots import stale_after
from services.followups import automation_from_settings
from services.mail_events import PublishedMailOutcomes
from services.clock import utc_now
from services.templates import ensure_seed_templates
from services.tracking import Tracking
from services.conversion_rules import ensure_default_rules
from services.registration_links import link_earlier_registrations
from web import auth as auth_routes
from web import events_api
from web import parked_api
from web import tracking as tracking_routes
from web import inbound_mail, mail_webhooks
from web import unsubscribe as unsubscribe_routes
from web import health as health_routes
from web import export as export_routes
from web import stream as stream_routes
from web.stream import install_streams
from web.callback_guard import install_callback_guard, on_callback_error
from web.guard import install_guard
from web.identity import install_login
from web.metrics import install_metrics, mail_metrics
from web.problem import install_problem_handlers
from web.security_headers import install_security_headers
from web.serving import serve_options
from components.grids import register_csv_download
from components.layout import app_layout
from demo import history as demo_history
from demo import simulator as demo_simulator
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

ROOT = Path(__file__).resolve().parent
# A small demo's history is logged before the app serves (tests and first looks see it whole at once);
# a larger one goes on in the background after this wait.
DEMO_HISTORY_WAIT_S = 5.0
log = logging.getLogger("cockpit")


def create_app(settings: Settings) -> Flask:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    uow = SqlAlchemyUnitOfWork(make_session_factory(engine))
    add_producer_modules(demo_history, demo_simulator)  # the demo logs events too: the catalog names it
    history = _seed_demo(settings, engine, uow) if settings.demo else None
    ensure_seed_templates(uow, utc_now())  # product content: every kind+locale without a template gets one
    ensure_default_rules(uow, utc_now())  # the default conversion rules, created once by name
    link_earlier_registrations(uow)  # logs written before lead.created: their API leads count in analytics
    server = _flask(settings)
    server.extensions["demo_history"] = history
    install_login(server, uow)
    csrf = CSRFProtect(server)
    server.register_blueprint(auth_routes.bp)
    server.register_blueprint(health_routes.bp)
    server.register_blueprint(events_api.bp)
    server.register_blueprint(parked_api.bp)
    server.register_blueprint(tracking_routes.bp)  # GET only: no CSRF question
    server.register_blueprint(unsubscribe_routes.bp)
    server.register_blueprint(mail_webhooks.bp)
    server.register_blueprint(inbound_mail.bp)
    server.register_blueprint(stream_routes.bp)
    server.register_blueprint(export_routes.bp)  # GET only: no CSRF question
    install_problem_handlers(server)
    telemetry = install_metrics(server, settings, uow)  # GET /metrics (Bearer METRICS_TOKEN); before the guard
    broadcaster = Broadcaster()  # the projection's applied batches: streams wake, shared snapshots go stale
    deps = server.extensions[EXTENSION] = _dependencies(settings, engine, uow, telemetry, broadcaster)  # read with deps()
    install_guard(server)
    # CSP, frame and sniffing headers on every response; the script hashes need the built Dash app
    install_security_headers(server, settings, _dash(server))
    # Dash's JSON callbacks carry no form token; SameSite=Lax cookies and JSON bodies keep
    # cross-site posts out. In Dash 4.4 its view names are its paths (DESIGN section 9).
    csrf.exempt(events_api.bp)  # machine-to-machine: Bearer token, no browser session
    csrf.exempt(parked_api.bp)  # Bearer token; a signed-in admin's POST is checked by the blueprint itself
    csrf.exempt(mail_webhooks.bp)  # machine-to-machine: shared secret or provider signature
    csrf.exempt(inbound_mail.bp)  # machine-to-machine: shared secret (INBOUND_WEBHOOK_SECRET)
    csrf.exempt(unsubscribe_routes.unsubscribe_now)  # RFC 8058 one-click has no form; the view checks the form's token
    for name, view in server.view_functions.items():
        if name.startswith("/_dash"):
            csrf.exempt(view)
    sinks = _sinks(settings)
    # conversion after lead-state: that one records the REPLY activity of an external reply first
    consumers = [LeadStateConsumer(deps.followups),
                 ConversionConsumer(deps.conversion, deps.clock, history_sources=(demo_history.HISTORY_SOURCE,))]
    # Each worker wakes after this process's commits that wrote its work (`wake_on`), else it polls.
    relay = Relay(uow, consumers=consumers, sinks=[sink.name for sink in sinks], clock=deps.clock,
                  telemetry=telemetry).wake_on(uow, EVENTS_WRITTEN)
    server.extensions["relay"] = relay.start() if settings.relay_enabled else relay
    # This process's DuckDB replica, tailing the event log; applied batches wake the cockpit streams.
    projection = AnalyticsProjection(uow, deps.warehouse, broadcaster, clock=deps.clock,
                                     poll_seconds=settings.analytics_poll_s,
                                     snapshots=ReplicaSnapshots.from_settings(settings, engine)).wake_on(uow, EVENTS_WRITTEN)
    server.extensions["analytics_projection"] = projection.start() if settings.relay_enabled else projection
    install_streams(server, projection.broadcaster)
    if engine.dialect.name == "postgresql":  # other processes' commits wake this relay too (DESIGN section 2)
        server.extensions["pg_listener"] = listen_for_events(engine, relay.wake, projection.wake)
    # One dispatcher thread per external sink, woken when the relay queued deliveries for it.
    dispatchers = [SinkDispatcher(uow, sink, clock=deps.clock, max_attempts=settings.sink_max_attempts)
                   .wake_on(uow, SINK_DELIVERIES_QUEUED) for sink in sinks]
    server.extensions["sink_dispatchers"] = [d.start() for d in dispatchers] if settings.relay_enabled else dispatchers
    # Sends queued mail (DESIGN section 5); a commit that queued mail wakes it, a 1 s poll is the fallback.
    mail_dispatcher = build_dispatcher(uow, settings, clock=deps.clock, outcomes=PublishedMailOutcomes(), metrics=mail_metrics(server))
    server.extensions["mail_dispatcher"] = mail_dispatcher.start() if settings.relay_enabled else mail_dispatcher
    if settings.scheduler_enabled:
        server.extensions["scheduler"] = start_scheduler(deps)
    if settings.demo and settings.demo_simulator:  # new leads, samples and replies keep the demo moving
        server.extensions["demo_simulator"] = demo_simulator.DemoSimulator(
            uow, settings.demo_seed, settings.demo_simulator_interval_s, deps.clock,
            tracking=deps.tracking).start()
    return server


def _seed_demo(settings: Settings, engine, uow: SqlAlchemyUnitOfWork) -> demo_history.HistoryPublisher | None:
    """A first demo start: the demo data, and its past logged as events (the analytics read those).
    With the workers running, a history that takes longer than DEMO_HISTORY_WAIT_S is logged while the
    app serves (a minute at 100,000 leads); without them (one-off commands), before create_app returns."""
    if not seed_demo(uow.session_factory, hash_password=hash_password, seed=settings.demo_seed, leads=settings.demo_leads):
        return None
    log.info("demo data created (%d leads)", settings.demo_leads)
    refresh_statistics(engine)  # the planner sees the seeded tables at once, not after autovacuum's round
    history = demo_history.HistoryPublisher(uow, utc_now(), after=lambda: refresh_statistics(engine))
    if not settings.relay_enabled:
        return history.run()
    if not history.start().wait(DEMO_HISTORY_WAIT_S):
        log.info("serving while the demo history is logged: the analytics pages fill in over the next minutes")
    return history


def _dependencies(settings: Settings, engine, uow: SqlAlchemyUnitOfWork, telemetry, broadcaster: Broadcaster) -> Dependencies:
    """What the entrypoints share, built once: the one follow-up automation (rules, holidays, the email
    core, this app's telemetry) serves the scheduler, the consumers and the pages alike; one set of read
    snapshots serves every page, callback and stream."""
    followups = automation_from_settings(settings, telemetry=telemetry)
    warehouse = open_replica(settings.analytics_path, per_process=engine.dialect.name == "postgresql",
                             snapshot_folder=settings.analytics_snapshot_dir,
                             limits=DuckDbLimits(settings.analytics_memory_mb, settings.analytics_threads))
    return Dependencies(settings=settings, engine=engine, uow=uow, warehouse=warehouse,
                        followups=followups, conversion=setup_for(followups, settings),
                        tracking=Tracking(settings.tracking_enabled, settings.secret_key), telemetry=telemetry,
                        # every snapshot goes stale with a projection batch or any commit; the open-task counts
                        # only when tasks are added or closed (an event rarely does either)
                        snapshots=stale_after(uow, ANY_WRITE, settings.read_snapshot_max_age_s, lambda: broadcaster.version),
                        task_counts=stale_after(uow, TASKS_WRITTEN, settings.read_snapshot_max_age_s))


def _sinks(settings: Settings) -> list:
    sinks: list = []
    if settings.webhook_url:
        sinks.append(WebhookSink(settings.webhook_url, settings.webhook_secret))
    if settings.nats_url:
        sinks.append(NatsSink(settings.nats_url, settings.nats_subject_prefix, settings.nats_stream))
    return sinks


def shutdown(server: Flask) -> None:
    """Stop every background worker of this app, then release its databases. `python app.py` calls it
    when serving ends; tests call it for each app they build, so no thread outlives its app."""
    scheduler = server.extensions.get("scheduler")
    if scheduler is not None:
        stop_scheduler(scheduler)
    # Producers first, then what delivers: a send in progress records its outcome before the end.
    workers = [server.extensions.get("demo_history"), server.extensions.get("demo_simulator"),
               server.extensions.get("relay"), server.extensions.get("mail_dispatcher"),
               server.extensions.get("analytics_projection"), *server.extensions.get("sink_dispatchers", [])]
    for worker in filter(None, workers):
        worker.stop()
    deps = server.extensions[EXTENSION]
    deps.warehouse.close()
    deps.engine.dispose()  # also ends the PostgreSQL listener


def _flask(settings: Settings) -> Flask:
    server = Flask(__name__, template_folder=str(ROOT / "web" / "templates"))
    if settings.web_trusted_proxies:  # behind deploy/'s proxy: the client's address, not the proxy's
        n = settings.web_trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n)
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_NAME="cockpit_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    return server


def _dash(server: Flask) -> dash.Dash:
    dash.page_registry.clear()  # process-global: a second app in one process starts clean
    app = dash.Dash(__name__, server=server, use_pages=True, pages_folder=str(ROOT / "pages"),
                    assets_folder=str(ROOT / "assets"), suppress_callback_exceptions=True,
                    title="Follow-up Cockpit", update_title=None, on_error=on_callback_error)
    app.layout = app_layout
    install_callback_guard(server, app)
    register_csv_download(app)
    # Take the callbacks the page modules just registered globally now, before another app could.
    server.test_client().get("/_favicon.ico")
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _exit_on_bad_settings()
    server = create_app(settings)
    freeze_start_up_heap()  # full collections no longer stall the process for 100-200 ms
    url = f"http://{settings.host}:{settings.port}"
    print(f"Follow-up Cockpit on {url}", flush=True)
    if settings.demo:
        print(f"  demo accounts: {', '.join(DEMO_ACCOUNTS)} (password '{DEMO_PASSWORD}')", flush=True)
        print(f"  API token: {settings.api_token}   metrics token: {settings.metrics_token}", flush=True)
    # SIGTERM (an orchestrator, `kill`) stops as Ctrl-C does: waitress ends its loop on either, the
    # workers stop, and the exit code is 0 rather than a signal's.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(server, host=settings.host, port=settings.port, **serve_options(settings))
    finally:
        shutdown(server)
        log.info("stopped")
    return 0


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
