"""The live cockpit's measurements: its callbacks at BENCH_EVENTS logged events, event-to-screen latency
over the stream, and other requests with 200 open streams against none (DESIGN section 8).

The event log is topped up to BENCH_EVENTS and projected before this runs (bench/events_topup.py).
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import select
from waitress.server import create_server

from bench.client import CALLBACK_PATH, TIMEOUT_S, BenchError, callback_body, check, check_callback, sign_in, timed
from bench.server import ADMIN, MANAGER, SALES, computed_reads
from bench.stats import summarize, value_row
from data.models import Lead, User
from web.serving import close_waitress

STREAMS = 200
ROUNDS = 4  # alternating blocks without and with the open streams
ROOT = Path(__file__).resolve().parent.parent
BODY_OUTPUTS = [("cockpit-body", "children"), ("cockpit-title", "children")]
BODY_INPUTS = [("cockpit-team", "value"), ("cockpit-period", "value"), ("cockpit-live-snapshot", "data"),
               ("cockpit-refresh", "n_intervals")]


def _body_step(session, url: str, period: str, who: str):
    body = callback_body(BODY_OUTPUTS, [(i, p, v) for (i, p), v in zip(BODY_INPUTS, [None, period, None, None])])
    body["state"] = [{"id": "cockpit-view", "property": "data", "value": {"team": None, "member": None}}]
    return lambda: timed(lambda: session.post(url + CALLBACK_PATH, json=body, timeout=TIMEOUT_S),
                         lambda r: check_callback(r, f"cockpit widget ({who})", ['"refusal"']))


def _samples(step, n: int) -> list[float]:
    step()
    return [step() for _ in range(n)]


class OpenStream:
    """One /stream/cockpit connection read in a thread; each snapshot's arrival time goes to a queue."""

    def __init__(self, session, url: str):
        self.response = check(session.get(f"{url}/stream/cockpit", stream=True, timeout=TIMEOUT_S), 200, "GET /stream/cockpit")
        self.arrivals: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line.startswith(b"data: "):
                    self.arrivals.put(time.perf_counter())
        except (requests.RequestException, AttributeError, ValueError):
            pass

    def close(self) -> None:
        self.response.close()


def _accepted(url: str, event: dict, token: str) -> None:
    r = requests.post(f"{url}/api/events", data=json.dumps(event), timeout=TIMEOUT_S,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents+json"})
    if r.status_code not in (200, 201, 202):
        raise BenchError(f"POST /api/events answered {r.status_code}: {r.text[:200]}")


def _reply(lead_id: int) -> dict:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/bench/mail", "type": "com.freshplan.followup.replied.v1",
            "time": now, "subject": f"lead/{lead_id}", "data": {"lead_id": lead_id, "replied_at": now, "label": "NEUTRAL"}}


def _own_lead(server, username: str) -> int:
    with server.extensions["cockpit"].engine.connect() as conn:
        return conn.execute(select(Lead.id).join(User, User.id == Lead.owner_id)
                            .where(User.username == username).limit(1)).scalar_one()


def event_to_screen(url: str, server, n: int) -> list[float]:
    """From the POST of a reply until the owner's open stream delivers the fresh snapshot."""
    token, lead_id = server.extensions["cockpit"].settings.api_token, _own_lead(server, SALES)
    stream, samples = OpenStream(sign_in(url, SALES), url), []
    try:
        stream.arrivals.get(timeout=TIMEOUT_S)  # the snapshot on connect
        for _ in range(n):
            start = time.perf_counter()
            _accepted(url, _reply(lead_id), token)
            samples.append((stream.arrivals.get(timeout=30) - start) * 1000)
            time.sleep(0.3)  # outside the debounce window of the previous push
    except queue.Empty:
        raise BenchError("an event did not reach the open stream within 30 s") from None
    finally:
        stream.close()
    return samples


def with_open_streams(url: str, steps: dict, n: int, count: int) -> dict[str, list[float]]:
    """Each step timed `n` times while `count` manager streams stay open, held by another process
    (readers in this process would slow the server through the interpreter lock, not the streams)."""
    cookies = json.dumps(sign_in(url, MANAGER).cookies.get_dict())
    holder = subprocess.Popen([sys.executable, "-m", "bench.stream_holder", url, cookies, str(count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        ready = holder.stdout.readline().strip()
        if ready != "ready":
            raise BenchError(f"the stream holder did not open {count} streams: {ready or 'no answer'}")
        return {name: _samples(step, n) for name, step in steps.items()}
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def _slots_freed(server, heartbeat_s: float) -> None:
    """Wait until the server noticed every closed stream. A stream closed while its reader thread
    still waits in recv() sends its FIN only when the next heartbeat wakes that reader, so the server
    sees it one heartbeat later still: three heartbeats bound it."""
    slots, deadline = server.extensions["sse"]["slots"], time.monotonic() + 3 * heartbeat_s + 5
    while slots.open:
        if time.monotonic() > deadline:
            raise BenchError(f"{slots.open} closed streams still hold their slots after three heartbeats")
        time.sleep(0.2)


def alternating(url: str, server, steps: dict, n: int, count: int) -> tuple[dict, dict]:
    """({name: samples without streams}, {name: samples with `count` open}), measured in ROUNDS
    alternating blocks of n / ROUNDS, so a drift in the machine's load falls on both sides alike."""
    without, held = {name: [] for name in steps}, {name: [] for name in steps}
    per_block = max(1, n // ROUNDS)
    for _ in range(ROUNDS):
        _slots_freed(server, server.extensions["cockpit"].settings.sse_heartbeat_s)
        for name, step in steps.items():
            without[name] += _samples(step, per_block)
        for name, samples in with_open_streams(url, steps, per_block, count).items():
            held[name] += samples
    return without, held


def live_cockpit_rows(server, n: int, events: int) -> tuple[list[dict], list[dict]]:
    """(timed rows, value rows) for the report, against `events` logged events; serves the app with room
    for the open streams."""
    server.extensions["sse"]["slots"].limit = STREAMS + 10  # the measurement needs 200 streams at once
    web = create_server(server, host="127.0.0.1", port=0, threads=STREAMS + 16, ident="bench-live",
                        connection_limit=STREAMS + 100)
    url = f"http://127.0.0.1:{web.effective_port}"
    thread = threading.Thread(target=web.run, name="bench-live-waitress", daemon=True)
    thread.start()
    try:
        rows = _timed_rows(url, server, n, events)
    finally:
        close_waitress(web)
        thread.join(timeout=5)
    return rows, _stream_cost(rows)


def _stream_cost(rows: list[dict]) -> list[dict]:
    """p95 with the streams open as a percentage of p95 without (DESIGN section 8: at most 120%)."""
    p95 = {r["name"]: r["p95_ms"] for r in rows}
    return [value_row(f"{name}: p95 with {STREAMS} open streams against none", 100 * p95[f"other requests: {name}, {STREAMS} open streams"]
                      / max(p95[f"other requests: {name}, no open streams"], 1e-9), "%")
            for name in ("cockpit widget (manager)", "GET /healthz")]


def _timed_rows(url: str, server, n: int, events: int) -> list[dict]:
    steps = {who: _body_step(sign_in(url, who), url, "30d", who) for who in (SALES, MANAGER, ADMIN)}
    rows = [summarize(f"cockpit widget callback ({who}, 30 days)", _samples(step, n), events) for who, step in steps.items()]
    with computed_reads(server):  # what the first request after an event costs
        rows += [summarize(f"cockpit widget callback ({who}, 30 days, computed afresh)", _samples(steps[who], n), events)
                 for who in (SALES, MANAGER)]
    rows.append(summarize("event-to-screen latency over SSE (sales)", event_to_screen(url, server, min(n, 50)), events))
    health = requests.Session()
    others = {"cockpit widget (manager)": steps[MANAGER],
              "GET /healthz": lambda: timed(lambda: health.get(url + "/healthz", timeout=TIMEOUT_S),
                                            lambda r: check(r, 200, "GET /healthz"))}
    without, held = alternating(url, server, others, n, STREAMS)
    rows += [summarize(f"other requests: {name}, no open streams", samples, events) for name, samples in without.items()]
    rows += [summarize(f"other requests: {name}, {STREAMS} open streams", samples, events) for name, samples in held.items()]
    return rows
