"""The dependencies app.py builds once per process and hands to every entrypoint.

Pages, routes and callbacks read them with `components.request_context.deps()`; services never do: they take what they need as
parameters, so a test passes its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from config import Settings
from data.uow import SqlAlchemyUnitOfWork
from data.warehouse import DuckDbWarehouse
from services.clock import Clock, utc_now
from services.conversions import ConversionSetup
from services.followup_automation import FollowupAutomation
from services.read_snapshots import NO_SNAPSHOTS, ReadSnapshots
from services.telemetry import NO_TELEMETRY, Telemetry
from services.tracking import Tracking

EXTENSION = "cockpit"  # where app.py keeps them on its Flask app


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    engine: Engine
    uow: SqlAlchemyUnitOfWork  # `with deps.uow() as tx:` to write, `uow(write=False)` to read
    warehouse: DuckDbWarehouse  # this process's analytics replica
    followups: FollowupAutomation  # the follow-up rules and the email core, for the scheduler and the pages
    conversion: ConversionSetup  # what a conversion needs besides the database: links, review threshold
    tracking: Tracking  # open and click tracking of sent mail: on or off, and its secret
    telemetry: Telemetry = NO_TELEMETRY  # the app's metrics, for services that report their work
    clock: Clock = utc_now
    snapshots: ReadSnapshots = NO_SNAPSHOTS  # cockpit and analytics read models shared by pages, callbacks, streams
    task_counts: ReadSnapshots = NO_SNAPSHOTS  # open tasks per caller, kept until tasks are added or closed
