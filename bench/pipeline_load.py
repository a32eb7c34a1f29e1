"""The pipeline bench's two ends: posting `lead.registered` to the served app (and event-to-screen
while the pipeline is under load), and how far the app applied what was posted (`Store`).

`Ingest` is one keep-alive client of POST /api/events. A 503 (the store was busy, nothing stored) is
retried after its Retry-After, as a CloudEvents sender does, and counted; its wait is part of the time.
`under_load` posts batches at LOAD_RATE events/s from a thread while it posts a probe every
PROBE_EVERY_S: a lead of the streamed user, whose open /stream/cockpit is read meanwhile. A probe's lag
runs from its POST to the first push whose recent activity lists its lead (or a later one of the user's).
A registration shows there once the relay created the lead and the projection applied the event that
creation logged, so the lag is the whole pipeline's. `due_in` and `probe_lags` are pure (unit tested).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import requests
from sqlalchemy import text

from bench.client import TIMEOUT_S, BenchError, check, sign_in
from bench.events_topup import last_seq
from data.duckdb_replica import replica_position

TYPE = "com.freshplan.lead.registered.v1"
STRUCTURED, BATCHED = "application/cloudevents+json", "application/cloudevents-batch+json"
MAX_TRIES = 30  # 503 answers in a row for one request before the bench gives up
LOAD_RATE, LOAD_BATCH, LOAD_S = 2000, 200, 15.0  # ten paced batches a second, for at most 15 s
PROBE_EVERY_S, PROBE_WAIT_S = 0.2, 30.0  # after the load, how long unseen probes are waited for


def new_domain(tag: str) -> str:
    """A mail domain no other lead has: the leads of one measurement are found and counted by it."""
    return f"{tag}-{uuid.uuid4().hex[:10]}.bench.example"


def registered(domain: str, owner: str, count: int = 1) -> list[dict]:
    """`count` lead.registered events, each with a fresh id and a fresh address at `domain`."""
    now, events = datetime.now(timezone.utc).isoformat(), []
    for _ in range(count):
        key = uuid.uuid4().hex
        events.append({"specversion": "1.0", "id": key, "source": "/bench/crm", "type": TYPE, "time": now,
                       "data": {"company": f"Bench {key[:8]}", "business_type": "HOTEL", "registered_at": now,
                                "email": f"{key}@{domain}", "owner": owner, "email_consent": False}})
    return events


def encode(events: list[dict]) -> tuple[str, str]:
    """(body, content type): one event in structured mode, more as a batch."""
    if len(events) == 1:
        return json.dumps(events[0]), STRUCTURED
    return json.dumps(events), BATCHED


class Ingest:
    """A keep-alive client of POST /api/events with the API token."""

    def __init__(self, url: str, token: str):
        self.url, self.session, self.busy = f"{url}/api/events", requests.Session(), 0
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, body: tuple[str, str]) -> float:
        """Milliseconds from the first try until the events were accepted (202)."""
        data, kind = body
        start = time.perf_counter()
        for _ in range(MAX_TRIES):
            response = self.session.post(self.url, data=data, headers={"Content-Type": kind}, timeout=TIMEOUT_S)
            if response.status_code != 503:
                check(response, 202, f"POST /api/events ({kind})")
                return (time.perf_counter() - start) * 1000
            self.busy += 1
            time.sleep(float(response.headers.get("Retry-After") or 1))
        raise BenchError(f"POST /api/events answered 503 {MAX_TRIES} times in a row")


def due_in(start: float, index: int, every: float, now: float) -> float:
    """Seconds until item `index` of a schedule of one per `every` seconds from `start` is due; 0 when
    late. A late item goes at once and the schedule is not shifted, so a server that cannot keep up
    shows as a lower achieved rate, not as a quietly slower schedule."""
    return max(0.0, start + index * every - now)


def paced(send: Callable[[int], None], every: float, limit_s: float) -> tuple[int, float]:
    """Call send(0), send(1), ... on that schedule until the next would be due after `limit_s`;
    (calls made, seconds from the start until the last call returned)."""
    start, calls = time.perf_counter(), 0
    while calls * every < limit_s:
        time.sleep(due_in(start, calls, every, time.perf_counter()))
        send(calls)
        calls += 1
    return calls, time.perf_counter() - start


def probe_lags(probes: list[tuple[float, int | None]], pushes: list[tuple[float, int]],
               gave_up: float) -> tuple[list[float], int]:
    """Per probe (posted at, its lead id or None), the ms until the first push (arrived at, newest lead
    id listed) listing that lead or a later one. A probe no push listed counts with its wait until
    `gave_up`, a lower bound; (lags, probes not seen)."""
    lags, unseen = [], 0
    for posted, lead in probes:
        arrived = next((at for at, newest in pushes if lead is not None and at >= posted and newest >= lead), None)
        if arrived is None:
            unseen, arrived = unseen + 1, gave_up
        lags.append((arrived - posted) * 1000)
    return lags, unseen


def newest_lead(payload: bytes) -> int:
    """The highest lead id in a snapshot's recent activity (0 when it lists none)."""
    return max((row.get("lead_id") or 0 for row in json.loads(payload).get("recent") or []), default=0)


class PushLog:
    """One open /stream/cockpit, read in a thread: each snapshot's arrival time and payload. Payloads
    are parsed afterwards, so the reader competes as little as possible with the server in this process."""

    def __init__(self, session: requests.Session, url: str):
        self.response = check(session.get(f"{url}/stream/cockpit", stream=True, timeout=TIMEOUT_S), 200, "GET /stream/cockpit")
        self.pushes: list[tuple[float, bytes]] = []
        self.first = threading.Event()
        threading.Thread(target=self._read, name="bench-push-log", daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line.startswith(b"data: "):
                    self.pushes.append((time.perf_counter(), line[6:]))
                    self.first.set()
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed at the end

    def arrivals(self) -> list[tuple[float, int]]:
        return [(at, newest_lead(payload)) for at, payload in list(self.pushes)]

    def close(self) -> None:
        self.response.close()


class Load(threading.Thread):
    """Posts batches of LOAD_BATCH lead.registered of `owner`, paced to LOAD_RATE events/s, for LOAD_S."""

    def __init__(self, url: str, token: str, owner: str):
        super().__init__(name="bench-load", daemon=True)
        self.ingest, self.owner, self.domain = Ingest(url, token), owner, new_domain("load")
        self.posted, self.seconds, self.error = 0, 0.0, None

    def run(self) -> None:
        try:
            _, self.seconds = paced(self._post, LOAD_BATCH / LOAD_RATE, LOAD_S)
        except Exception as exc:  # noqa: BLE001 - handed to the measuring thread, which raises it
            self.error = exc

    def _post(self, _index: int) -> None:
        self.ingest.post(encode(registered(self.domain, self.owner, LOAD_BATCH)))
        self.posted += LOAD_BATCH


@dataclass(frozen=True)
class LoadResult:
    lags_ms: list[float]
    unseen: int
    posted: int
    seconds: float


def under_load(url: str, token: str, user: str, load_owner: str, lead_ids: Callable[[str], dict]) -> LoadResult:
    """Probe lags while a Load runs; `lead_ids(domain)` maps the addresses at `domain` to lead ids."""
    stream, prober, domain, probes = PushLog(sign_in(url, user), url), Ingest(url, token), new_domain("probe"), []
    try:
        if not stream.first.wait(TIMEOUT_S):
            raise BenchError("the cockpit stream sent no snapshot on connect")
        load = Load(url, token, load_owner)
        load.start()
        paced(lambda _i: probes.append(_probe(prober, domain, user)), PROBE_EVERY_S, LOAD_S)
        load.join()
        if load.error is not None:
            raise load.error
        ids = _settle(stream, lambda: lead_ids(domain), len(probes))
        gave_up = time.perf_counter()
    finally:
        stream.close()
    lags, unseen = probe_lags([(at, ids.get(email)) for at, email in probes], stream.arrivals(), gave_up)
    return LoadResult(lags, unseen, load.posted, load.seconds)


def _probe(prober: Ingest, domain: str, user: str) -> tuple[float, str]:
    """Post one lead of `user`; (when its POST began, its address)."""
    event = registered(domain, user)[0]
    start = time.perf_counter()
    prober.post(encode([event]))
    return start, event["data"]["email"]


def _settle(stream: PushLog, lead_ids: Callable[[], dict], probes: int) -> dict:
    """Wait up to PROBE_WAIT_S until every probe is a lead and a push listed the newest of them."""
    deadline = time.perf_counter() + PROBE_WAIT_S
    while True:
        ids, listed = lead_ids(), max((newest for _, newest in stream.arrivals()), default=0)
        if len(ids) == probes and listed >= max(ids.values(), default=0):
            return ids
        if time.perf_counter() > deadline:
            return ids
        time.sleep(0.25)


class Store:
    """How far the pipeline got, read from the app's own database and DuckDB replica."""

    def __init__(self, server):
        deps = server.extensions["cockpit"]
        self.engine, self.warehouse = deps.engine, deps.warehouse

    def _rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def undelivered(self) -> int:
        return int(self._rows("SELECT count(*) FROM events WHERE delivered_at IS NULL")[0][0])

    def lead_ids(self, domain: str) -> dict[str, int]:
        return dict(self._rows("SELECT email, id FROM leads WHERE email LIKE :p", p=f"%@{domain}"))

    def projected(self) -> bool:
        return replica_position(self.warehouse) >= last_seq(self.engine)

    def applied(self, domain: str | None = None, leads: int = 0) -> bool:
        """Nothing undelivered (checked first: everything was posted before), the leads at `domain`
        all there, and the projection at the newest seq (read last, so it covers what the relay logged)."""
        return self.undelivered() == 0 and (domain is None or len(self.lead_ids(domain)) >= leads) and self.projected()


def wait_applied(store: Store, limit_s: float, domain: str | None = None, leads: int = 0) -> float | None:
    """Seconds until `store.applied(...)`, or None when `limit_s` passed first."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        if store.applied(domain, leads):
            return time.perf_counter() - start
        time.sleep(0.1)
    return None
