"""GET /stream/cockpit: the caller's cockpit numbers as Server-Sent Events (DESIGN sections 6, 8, 9).

On connect the current snapshot is sent at once; when the analytics projection applies a batch that
touches the caller's scope, a fresh snapshot follows (debounced: at once after a quiet spell, then at
most one push per SSE_DEBOUNCE_MS, so a burst of events does not become a burst of pushes);
a comment line every heartbeat keeps proxies open and lets a closed tab's slot be found and freed.
Each open stream holds a server thread, so streams are capped per process (SSE_MAX_STREAMS); beyond
it the answer is 503 with Retry-After. Scope is decided by the same service as the page. Before each
push and each heartbeat the stream asks whether its session still counts, and ends when it does not
(signed out, password changed elsewhere, user deactivated or given another role or team).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import weakref

from flask import Blueprint, Response, current_app, g, request
from flask_login import current_user

from domain.roles import Forbidden
from services import auth
from services.cockpit_live import InvalidView, cockpit_numbers, view_id, view_period
from services.read_snapshots import SingleFlightCache
from components.request_context import deps
from web.metrics import set_sse_clients
from web.problem import problem

log = logging.getLogger(__name__)
bp = Blueprint("stream", __name__)
RETRY_AFTER_S = 5
SIGNED_OUT = "event: signed-out\ndata: {}\n\n"


class StreamSlots:
    """How many streams this process holds open, against its cap."""

    def __init__(self, limit: int, on_change=lambda open_streams: None):
        self.limit, self.open, self.on_change = limit, 0, on_change
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            self.on_change(self.open)
            return True

    def release(self) -> None:
        with self._lock:
            self.open = max(0, self.open - 1)
            self.on_change(self.open)


def install_streams(server, broadcaster) -> None:
    """Give the stream view (blueprint `bp`, registered with the others) its broadcaster and slots."""
    settings = server.extensions["cockpit"].settings
    slots = StreamSlots(settings.sse_max_streams, on_change=lambda n: set_sse_clients(n, server))
    # "sessions": one "does this session still count" answer per (session, projection version)
    server.extensions["sse"] = {"broadcaster": broadcaster, "slots": slots, "sessions": SingleFlightCache()}


def _message(numbers, version: int) -> str:
    payload = json.dumps({"version": version, **numbers.as_json()}, default=str, separators=(",", ":"))
    return f"event: snapshot\nid: {version}\ndata: {payload}\n\n"


def _view_args() -> tuple[str, int | None, int | None]:
    """(period, team, member) from the query; InvalidView names the bad parameter."""
    args = request.args
    return view_period(args.get("period")), view_id("team", args.get("team")), view_id("member", args.get("member"))


def _refused(detail: str) -> Response:
    response = problem(503, "Service Unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


@bp.get("/stream/cockpit")
def cockpit_stream():
    try:
        args = _view_args()
    except InvalidView as exc:
        return problem(400, "Bad Request", str(exc), parameter=exc.name)
    sse = current_app.extensions["sse"]
    if not sse["slots"].acquire():
        return _refused("Too many live streams are open; the page refreshes on its own.")
    try:
        stream = _CockpitStream(deps(), g.actor, current_user.get_id(), args, sse)
    except Forbidden as exc:
        sse["slots"].release()
        return problem(403, "Forbidden", str(exc))
    except Exception:  # noqa: BLE001 - whatever failed, the slot must not stay taken
        sse["slots"].release()
        log.exception("the cockpit stream could not start")
        return _refused("The live numbers are unavailable right now; the page refreshes on its own.")
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(_ClosingStream(stream.chunks(), stream.close), mimetype="text/event-stream", headers=headers)


class _CockpitStream:
    """One caller's stream: subscribed before the first snapshot is read, so nothing falls between."""

    def __init__(self, deps, actor, token: str, args: tuple, sse: dict):
        self.deps, self.actor, self.token, self.args, self.sse = deps, actor, token, args, sse
        self.broadcaster = sse["broadcaster"]
        scope = cockpit_numbers(deps, actor, *args)  # also refuses a role that may not open the cockpit
        self.sub = self.broadcaster.subscribe(scope.team_id, scope.member_id)
        try:
            self.first = self.snapshot()
        except BaseException:
            self.sub.close()
            raise

    def snapshot(self) -> str:
        version = self.broadcaster.version  # read first: a later batch bumps it and pushes again
        return _message(cockpit_numbers(self.deps, self.actor, *self.args), version)  # shared: deps.snapshots

    def session_counts(self, pushing: bool) -> bool:
        """A heartbeat asks the database; the streams one batch wakes share one answer per session."""
        def ask() -> bool:
            return auth.session_still_counts(self.deps.uow, self.token, self.actor)
        if not pushing:
            return ask()
        return self.sse["sessions"].get((self.token, self.actor, self.broadcaster.version), ask)

    def chunks(self):
        settings = self.deps.settings
        window = settings.sse_debounce_ms / 1000
        yield f"retry: 2000\n{self.first}"
        pushed = time.monotonic()
        while True:
            changed = self.sub.wait(settings.sse_heartbeat_s)
            if not self.session_counts(pushing=changed):
                yield SIGNED_OUT  # the page goes to the sign-in form instead of reconnecting
                return  # the response ends; close() frees the slot
            if changed:
                # After a quiet spell the change goes out at once; within `window` of the last push it
                # waits for the window's end, so a burst costs at most one push per window.
                time.sleep(max(0.0, pushed + window - time.monotonic()))
                self.sub.wait(0)  # what landed during the pause is in this snapshot already
                yield self.snapshot()
                pushed = time.monotonic()
            else:
                yield ": heartbeat\n\n"

    def close(self) -> None:
        """Called once, by _ClosingStream's finalizer."""
        self.sub.close()
        self.sse["slots"].release()


class _ClosingStream:
    """The server calls close() when the client went away (the next write failed) or the response
    ended. A response that is dropped without close() (an error after the view returned, a server
    that never started it) frees its slot when it is collected."""

    def __init__(self, chunks, on_close):
        self._chunks = chunks
        self._finalizer = weakref.finalize(self, on_close)  # runs at most once: here or in close()
        self._finalizer.atexit = False

    def __iter__(self):
        return self._chunks

    def close(self) -> None:
        try:
            self._chunks.close()
        finally:
            self._finalizer()
