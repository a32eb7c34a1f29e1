"""GET /stream/cockpit: the caller's cockpit numbers as Server-Sent Events (DESIGN sections 6, 8, 9).

On connect the current snapshot is sent at once; when the analytics projection applies a batch that
touches the caller's scope, a fresh snapshot follows (debounced: at once after a quiet spell, then at
most one push per SSE_DEBOUNCE_MS, so a burst of events does not become a burst of pushes);
a comment line every heartbeat keeps proxies open and lets a closed tab's slot be found and freed.
Each open stream holds a server thread, so streams are capped per process (SSE_MAX_STREAMS); beyond
it the answer is 503 with Retry-After. Scope is decided by the same service as the page.
"""
from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict

from flask import Blueprint, Response, current_app, g, request

from domain.roles import Forbidden
from services.cockpit_live import PERIODS, cockpit_numbers
from web.metrics import set_sse_clients
from web.problem import problem

bp = Blueprint("stream", __name__)
RETRY_AFTER_S = 5
CACHE_SIZE = 256


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


class SnapshotCache:
    """One computation per (caller, view, projection version): many tabs of one scope share it. When
    a batch wakes many streams at once, the first computes and the others wait for its result, so 200
    open streams of one team cost one query, not 200."""

    def __init__(self):
        self._lock, self._items = threading.Lock(), OrderedDict()
        self._pending: dict = {}

    def get(self, key, compute):
        with self._lock:
            if key in self._items:
                return self._items[key]
            flight = self._pending.get(key)
            first = flight is None
            if first:
                flight = self._pending[key] = threading.Lock()
                flight.acquire()
        if not first:
            with flight:  # released once the first caller stored the value (or failed)
                pass
            return self.get(key, compute)
        try:
            value = compute()
            with self._lock:
                self._items[key] = value
                while len(self._items) > CACHE_SIZE:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            flight.release()


def install_streams(server, broadcaster) -> None:
    """Give the stream view (blueprint `bp`, registered with the others) its broadcaster and slots."""
    settings = server.extensions["cockpit"].settings
    server.extensions["sse"] = {"broadcaster": broadcaster, "slots": StreamSlots(settings.sse_max_streams, on_change=lambda n: set_sse_clients(n, server)),
                                "cache": SnapshotCache()}


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number, got {raw[:40]!r}")
    return int(raw)


def _message(numbers, version: int) -> str:
    payload = json.dumps({"version": version, **numbers.as_json()}, default=str, separators=(",", ":"))
    return f"event: snapshot\nid: {version}\ndata: {payload}\n\n"


def _view_args():
    """(period, team, member) from the query, or a 400 problem naming the bad parameter."""
    period = request.args.get("period", "7d")
    if period not in PERIODS:
        return problem(400, "Bad Request", f"period must be one of {', '.join(PERIODS)}")
    try:
        return period, _int_arg("team"), _int_arg("member")
    except ValueError as exc:
        return problem(400, "Bad Request", str(exc))


def _refused() -> Response:
    response = problem(503, "Service Unavailable", "Too many live streams are open; the page refreshes on its own.")
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


@bp.get("/stream/cockpit")
def cockpit_stream():
    args = _view_args()
    if isinstance(args, Response):
        return args
    sse, deps, actor = current_app.extensions["sse"], current_app.extensions["cockpit"], g.actor
    if not sse["slots"].acquire():
        return _refused()
    try:
        stream = _CockpitStream(deps, actor, args, sse)
    except Forbidden as exc:
        sse["slots"].release()
        return problem(403, "Forbidden", str(exc))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(_ClosingStream(stream.chunks(), stream.close), mimetype="text/event-stream", headers=headers)


class _CockpitStream:
    """One caller's stream: subscribed before the first snapshot is read, so nothing falls between."""

    def __init__(self, deps, actor, args: tuple, sse: dict):
        self.deps, self.actor, self.args, self.sse = deps, actor, args, sse
        self.broadcaster = sse["broadcaster"]
        scope = cockpit_numbers(deps, actor, *args)  # also refuses a role that may not open the cockpit
        self.sub = self.broadcaster.subscribe(scope.team_id, scope.member_id)
        self.first = self.snapshot()

    def snapshot(self) -> str:
        version = self.broadcaster.version  # read first: a later batch bumps it and pushes again
        numbers = self.sse["cache"].get((self.actor, *self.args, version),
                                        lambda: cockpit_numbers(self.deps, self.actor, *self.args))
        return _message(numbers, version)

    def chunks(self):
        settings = self.deps.settings
        window = settings.sse_debounce_ms / 1000
        yield f"retry: 2000\n{self.first}"
        pushed = time.monotonic()
        while True:
            if self.sub.wait(settings.sse_heartbeat_s):
                # After a quiet spell the change goes out at once; within `window` of the last push it
                # waits for the window's end, so a burst costs at most one push per window.
                time.sleep(max(0.0, pushed + window - time.monotonic()))
                self.sub.wait(0)  # what landed during the pause is in this snapshot already
                yield self.snapshot()
                pushed = time.monotonic()
            else:
                yield ": heartbeat\n\n"

    def close(self) -> None:
        self.sub.close()
        self.sse["slots"].release()


class _ClosingStream:
    """The server calls close() when the client went away (the next write failed) or the response
    ended; the slot is freed exactly once, even for a stream that never started."""

    def __init__(self, chunks, on_close):
        self._chunks, self._on_close, self._closed = chunks, on_close, False

    def __iter__(self):
        return self._chunks

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._chunks.close()
        finally:
            self._on_close()
