"""What a client of a `Cluster` does, timed: a cockpit stream that reconnects as a browser's EventSource
does, a steady load of events that re-sends an unanswered one with the same id, and the time from an
event posted on one replica to the push on another. The scale-out tests assert on these, the
scale-out benchmark reports them.
"""
from __future__ import annotations

import json
import queue
import statistics
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests

from bench.cluster import API_TOKEN
from runtime.heap import heap_frozen

EVENT_HEADERS = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/cloudevents+json"}
REGISTERED = "com.freshplan.lead.registered.v1"
REPLIED = "com.freshplan.followup.replied.v1"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def registration(n: int, domain: str, age: timedelta = timedelta(days=3, hours=2)) -> dict:
    """A lead registered `age` ago through the API: with every day and hour a business one, its T+3
    mail is two hours due (well inside FOLLOWUP_STALE_AFTER_H), so the next run sends it."""
    at = _stamp(datetime.now(timezone.utc) - age)
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/crm/cluster", "subject": f"crm-{domain}-{n}",
            "type": REGISTERED, "time": at,
            "data": {"company": f"Kantine {n}", "business_type": "CANTEEN", "registered_at": at, "owner": "sales",
                     "email": f"k{n}@{domain}", "email_consent": True}}


def reply(lead_id: int) -> dict:
    now = _stamp(datetime.now(timezone.utc))
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/cluster/mail", "type": REPLIED,
            "time": now, "subject": f"lead/{lead_id}", "data": {"lead_id": lead_id, "replied_at": now, "label": "NEUTRAL"}}


def post_batch(url: str, events: list[dict], timeout: float = 60) -> int:
    headers = {**EVENT_HEADERS, "Content-Type": "application/cloudevents-batch+json"}
    return requests.post(f"{url}/api/events", data=json.dumps(events), headers=headers, timeout=timeout).status_code


def post_event(url: str, event: dict, timeout: float = 10) -> int:
    return requests.post(f"{url}/api/events", data=json.dumps(event), headers=EVENT_HEADERS, timeout=timeout).status_code


class CockpitStream:
    """/stream/cockpit read as EventSource reads it: when the connection drops, wait the `retry:` time
    the server sent, connect again (through the proxy: to whichever replica it picks) and go on.
    Records every push's arrival, each drop, each reconnect and which replica served each connection."""

    def __init__(self, session: requests.Session, url: str):
        self.session, self.url = session, url
        self.arrivals: queue.Queue = queue.Queue()
        self.served_by: list[str] = []
        self.drops: list[float] = []
        self.reconnects: list[float] = []
        self.retry_s = 3.0  # EventSource's default until the server names one
        self._stop = threading.Event()
        self._response = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "CockpitStream":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._response = self.session.get(f"{self.url}/stream/cockpit", stream=True, timeout=(3, 60))
                if self._response.status_code == 200:
                    self._read(self._response)
            except (requests.RequestException, AttributeError, ValueError):
                pass
            if self._stop.is_set():
                return
            self.drops.append(time.monotonic())
            self._stop.wait(self.retry_s)

    def _read(self, response) -> None:
        first = True
        for line in response.iter_lines():
            if line.startswith(b"retry: "):
                self.retry_s = int(line[7:]) / 1000
            elif line.startswith(b"data: "):
                if first:  # the snapshot a (re)connected stream starts with
                    self.served_by.append(response.headers.get("X-Served-By", ""))
                    if self.drops:
                        self.reconnects.append(time.monotonic())
                    first = False
                self.arrivals.put(time.perf_counter())

    def close(self) -> None:
        self._stop.set()
        if self._response is not None:
            self._response.close()


class EventLoad:
    """Posts registrations through `url` at a steady pace from a thread. An event without a 2xx answer
    (refused connection, reset, 502/503 while a replica dies) is sent again with the same id until
    one comes: exactly what a producer does, and what idempotent ingest must absorb."""

    def __init__(self, url: str, domain: str, per_second: float = 20):
        self.url, self.domain, self.pause = url, domain, 1 / per_second
        self.accepted: list[str] = []
        self.accepted_at: list[float] = []  # time.time() of each answer, beside `accepted`
        self.resent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "EventLoad":
        self._thread.start()
        return self

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            event = registration(n, self.domain)
            while not self._send(event):
                self.resent += 1
                time.sleep(0.2)
            self.accepted.append(event["id"])
            self.accepted_at.append(time.time())
            n += 1
            time.sleep(self.pause)

    def _send(self, event: dict) -> bool:
        try:
            return post_event(self.url, event, timeout=5) in (200, 201, 202)
        except requests.RequestException:
            return False

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.accepted


def event_to_stream_ms(post_url: str, stream: CockpitStream, lead_id: int, n: int) -> list[float]:
    """From the POST of a reply on one replica until a stream (on another) delivers the new snapshot.
    This process's own full collections are kept out of the figures (runtime.heap.heap_frozen)."""
    deadline = time.monotonic() + 30
    while not stream.served_by:  # the snapshot a connection starts with has not come yet
        if time.monotonic() > deadline:
            raise AssertionError("the cockpit stream sent no snapshot within 30 s")
        time.sleep(0.05)
    _quiet(stream.arrivals, 0.5)
    samples = []
    with heap_frozen():
        for _ in range(n):
            _drain(stream.arrivals)
            start = time.perf_counter()
            status = post_event(post_url, reply(lead_id))
            assert status in (200, 201, 202), f"the event was refused: {status}"
            samples.append((stream.arrivals.get(timeout=30) - start) * 1000)
            _quiet(stream.arrivals, 0.5)
    return samples


def _quiet(arrivals: queue.Queue, seconds: float) -> None:
    """Wait until no push came for `seconds`: a reply's consequences (the rules' decision, the lead's
    new state) are events too, and their pushes land after the reply's. The next sample starts on a
    settled cluster, outside the debounce window, and is not met by a late push of the one before."""
    while True:
        try:
            arrivals.get(timeout=seconds)
        except queue.Empty:
            return


def _drain(arrivals: queue.Queue) -> None:
    while not arrivals.empty():
        arrivals.get_nowait()


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]
