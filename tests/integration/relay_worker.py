"""A relay in a process of its own, for the kill tests (tests/integration/test_relay_crash.py).

    python -m tests.integration.relay_worker DATABASE_URL CONTROL_DIR [--block-on ID] [--die-after ID]

Runs the real Relay with the real LeadStateConsumer and, last, an EffectRecorder that writes one
row per applied event into `relay_effects`, so a test can count effects. `--block-on` makes the
recorder hang on that event (after the lead-state consumer applied it, before the recorder did) and
touch CONTROL_DIR/blocked, so the test can SIGKILL the process at a known point. `--die-after` makes
the process SIGKILL itself right after the batch holding that event committed (the consumers' effects,
their inbox entries and the delivered mark are one transaction).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy import event as sa_event

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data.db import make_engine, make_session_factory  # noqa: E402
from data.uow import SqlAlchemyUnitOfWork  # noqa: E402
from pipelines.consumers.lead_state import LeadStateConsumer  # noqa: E402
from pipelines.relay import Relay  # noqa: E402
from services.outbox import SOURCE_PREFIX  # noqa: E402

EFFECTS = Table("relay_effects", MetaData(),
                Column("n", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(200), nullable=False),
                Column("subject", String(200)))


class EffectRecorder:
    """A consumer whose effect is one row per applied event: duplicates and losses become countable."""

    name = "effect-recorder"

    def __init__(self, control: Path, block_on: str | None = None, die_after: str | None = None):
        self.control, self.block_on, self.die_after = control, block_on, die_after

    def wants(self, event) -> bool:
        # The events the test posted; the follow-up plans the lead-state consumer writes in
        # reaction are the cockpit's own and would make the expected counts depend on its rules.
        return not event.source.startswith(SOURCE_PREFIX)

    def apply(self, tx, event) -> None:
        if event.id == self.block_on:
            (self.control / "blocked").touch()
            while True:  # hang here until the test kills the process
                time.sleep(1)
        tx.session.execute(insert(EFFECTS).values(event_id=event.id, subject=event.subject))
        if event.id == self.die_after:
            sa_event.listen(tx.session, "after_commit", _die)


def _die(session) -> None:
    if session.in_nested_transaction():  # a savepoint was released (SQLAlchemy 2.1 reports that too)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("control", type=Path)
    parser.add_argument("--block-on")
    parser.add_argument("--die-after")
    args = parser.parse_args(argv)
    uow = SqlAlchemyUnitOfWork(make_session_factory(make_engine(args.database_url)))
    recorder = EffectRecorder(args.control, args.block_on, args.die_after)
    # Small batches, so the kill points fall between batches as well as inside one.
    relay = Relay(uow, consumers=[LeadStateConsumer(), recorder], poll_seconds=0.1, batch=10).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    (args.control / "started").touch()
    stopped.wait()
    relay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
