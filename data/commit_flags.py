"""What a transaction wrote that a background worker waits for.

A writer sets its flag in `session.info`; after the commit, SqlAlchemyUnitOfWork wakes the workers
subscribed to it (`on_committed`, runtime.worker.Worker's `wake_on`). One mechanism for every worker.
"""
EVENTS_WRITTEN = "events_written"  # data.events, data.followups: the relay and the projection wake
SINK_DELIVERIES_QUEUED = "sink_deliveries_queued"  # data.sink_deliveries: the sink dispatchers wake
MAIL_QUEUED = "mail_queued"  # mailer.queue: the mail dispatcher wakes

TASKS_WRITTEN = "tasks_written"  # data.tasks: tasks added or closed, the open-task counts go stale
ANY_WRITE = "any_write"  # every commit of a writing unit of work: shared read snapshots go stale

ALL = (EVENTS_WRITTEN, SINK_DELIVERIES_QUEUED, MAIL_QUEUED)
