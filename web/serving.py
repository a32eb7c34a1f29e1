"""How waitress serves the app: one set of options for `python app.py` and for the tests' live
server, and closing a server safely inside a process that lives on (tests, the benchmark)."""
from __future__ import annotations

import logging
import resource

from waitress import wasyncore

log = logging.getLogger(__name__)
FD_RESERVE = 256  # descriptors besides client sockets: database pools, DuckDB, logs, spill files
MAX_REQUEST_BODY = 8 * 1024 * 1024  # far above Flask's MAX_CONTENT_LENGTH (1 MiB), which answers 413 itself


def serve_options(settings) -> dict:
    """Waitress's keyword arguments. When `connection_limit` connections are open waitress stops
    accepting, and new clients (a health check too) wait in the listen backlog until an idle one is
    closed. So the limit is high (idle sockets cost a descriptor, not a thread) and idle channels are
    closed after `channel_timeout`. Waitress closes only channels with no request running, so an open
    cockpit stream (a long response) is never cut, however quiet it is between heartbeats.
    Raises this process's open-file limit to fit the connection limit, where the hard limit allows."""
    return {
        "threads": settings.web_threads,
        "ident": "cockpit",
        "connection_limit": connection_limit_within_descriptors(settings.web_connection_limit),
        "channel_timeout": settings.web_channel_timeout_s,
        # how often idle channels are looked for: an idle one lives at most timeout + interval
        "cleanup_interval": min(5, settings.web_channel_timeout_s),
        "backlog": 1024,  # clients waiting for accept() while the limit is reached; the kernel may cap it
        "asyncore_use_poll": True,  # select() fails outright once a descriptor number passes 1024
        # Bodies and responses above these sizes spill from memory into temporary files (waitress's
        # defaults, kept on purpose: 1000 connections x 1 MiB bounds the memory they can hold).
        "inbuf_overflow": 512 * 1024,
        "outbuf_overflow": 1024 * 1024,
        # waitress answers 413 itself before reading a larger body, instead of spooling up to 1 GB to disk
        "max_request_body_size": MAX_REQUEST_BODY,
    }


def connection_limit_within_descriptors(wanted: int) -> int:
    """Raise this process's soft limit of open files so `wanted` connections fit (up to the hard
    limit); if even the hard limit is too low, serve fewer connections rather than fail on accept()."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning("open-file limit %d allows %d connections, not WEB_CONNECTION_LIMIT=%d",
                    soft, soft - FD_RESERVE, wanted)
        return max(1, soft - FD_RESERVE)
    return wanted


def close_waitress(server) -> None:
    """Close a waitress server safely for the rest of the process. Its close() closes the wake-up
    pipe but not the worker threads: a task still running (an open event stream) later writes one
    b"x" into whatever file descriptor reused that number - a PostgreSQL connection or another HTTP
    connection - and corrupts it. So late wake-ups are made harmless first, then every connection is
    closed, which ends the tasks still streaming, and the workers are stopped."""
    server.trigger._physical_pull = lambda: None
    wasyncore.close_all(server._map)
    server.task_dispatcher.shutdown(timeout=2)
