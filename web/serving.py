"""Serving with waitress outside `python app.py`: tests and the benchmark start and stop servers
inside a process that lives on."""
from __future__ import annotations

from waitress import wasyncore


def close_waitress(server) -> None:
    """Close a waitress server safely for the rest of the process. Its close() closes the wake-up
    pipe but not the worker threads: a task still running (an open event stream) later writes one
    b"x" into whatever file descriptor reused that number - a PostgreSQL connection or another HTTP
    connection - and corrupts it. So late wake-ups are made harmless first, then every connection is
    closed, which ends the tasks still streaming, and the workers are stopped."""
    server.trigger._physical_pull = lambda: None
    wasyncore.close_all(server._map)
    server.task_dispatcher.shutdown(timeout=2)
