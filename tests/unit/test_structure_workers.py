"""Background work has one shape: every worker thread is a runtime.worker.Worker, every retry delay comes
from runtime.backoff, and commits wake workers only through the unit of work."""
import re
from pathlib import Path

from mailer.dispatcher import MailDispatcher
from pipelines.analytics_projection import AnalyticsProjection
from demo.simulator import DemoSimulator
from pipelines.pg_notify import PgEventListener
from pipelines.relay import Relay
from pipelines.sinks.dispatcher import SinkDispatcher
from runtime.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("data", "services", "pipelines", "mailer", "web", "components", "pages")
# The NATS sink runs nats-py's asyncio loop in a thread of its own: a library's event loop, not a worker loop.
OWN_THREADS = {"pipelines/sinks/nats.py"}


def _sources():
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_no_module_starts_a_thread_of_its_own():
    offenders = [name for name, text in _sources() if "Thread(" in text and name not in OWN_THREADS]
    assert not offenders, f"use runtime.worker.Worker: {offenders}"


def test_no_module_has_a_backoff_formula_of_its_own():
    formula = re.compile(r"\*\*\s*max\(0|\*\*\s*\(\w+\s*-\s*1\)")
    assert not [name for name, text in _sources() if formula.search(text)], "use runtime.backoff.backoff"


def test_commits_wake_workers_only_through_the_unit_of_work():
    listeners = [name for name, text in _sources() if '"after_commit"' in text or "on_marked" in text]
    assert not listeners, f"subscribe with Worker(wake_on=...) instead: {listeners}"


def test_every_background_worker_is_a_worker_with_no_loop_of_its_own():
    for worker in (Relay, AnalyticsProjection, SinkDispatcher, PgEventListener, DemoSimulator, MailDispatcher):
        assert issubclass(worker, Worker), worker.__name__
        assert not {"_loop", "_run", "wake"} & set(vars(worker)), worker.__name__
