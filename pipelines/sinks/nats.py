"""NATS JetStream sink: CloudEvents NATS binding (structured JSON payload), one subject per type.

`<prefix>.<type>` (e.g. cockpit.events.com.freshplan.followup.sent.v1) on a stream that takes
`<prefix>.>`. The Nats-Msg-Id header is "<source> <id>", so JetStream drops a redelivery within its
duplicate window. The asyncio client lives in its own event-loop thread; `send` is synchronous for the
dispatcher thread and returns once JetStream acknowledged the message.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import re
import threading

import nats
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError

from domain.cloudevents import CloudEvent
from pipelines.sinks import SinkError

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SUBJECT_TOKENS = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")


def message_id(event: CloudEvent) -> str:
    # A source is a URI reference and holds no space, so "<source> <id>" names one event unambiguously.
    return f"{event.source} {event.id}"


class NatsSink:
    name = "nats"

    def __init__(self, url: str, subject_prefix: str = "cockpit.events", stream: str = "COCKPIT_EVENTS",
                 timeout: float = 5.0):
        self.url, self.prefix, self.stream, self.timeout = url, subject_prefix, stream, timeout
        self._nc = self._js = None
        self._connecting = asyncio.Lock()  # a send abandoned after a timeout may still be connecting
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-sink-loop", daemon=True)
        self._thread.start()

    def subject(self, event_type: str) -> str:
        subject = f"{self.prefix}.{event_type}"
        if not SUBJECT_TOKENS.match(subject):
            raise SinkError(f"type {event_type!r} does not make a NATS subject", retryable=False)
        return subject

    def send(self, event: CloudEvent) -> None:
        subject = self.subject(event.type)
        future = asyncio.run_coroutine_threadsafe(self._publish(subject, event), self._loop)
        try:
            future.result(timeout=self.timeout * 3)
        except (NatsError, OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as exc:
            future.cancel()
            raise SinkError(f"NATS {type(exc).__name__}: {exc}", retryable=True) from None

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop).result(timeout=self.timeout)
        except Exception:  # closing a broken connection: nothing left to save
            log.debug("NATS close failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _publish(self, subject: str, event: CloudEvent) -> None:
        js = await self._jetstream()
        payload = json.dumps(event.to_json(), separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Nats-Msg-Id": message_id(event), "Content-Type": CONTENT_TYPE}
        await js.publish(subject, payload, timeout=self.timeout, stream=self.stream, headers=headers)

    async def _jetstream(self):
        async with self._connecting:
            if self._nc is not None and self._nc.is_connected:
                return self._js
            await self._disconnect()
            # No automatic reconnect: a lost connection fails the send, the dispatcher retries with
            # backoff, and the next send connects afresh (two quick tries, not nats-py's default minutes).
            self._nc = await nats.connect(self.url, connect_timeout=self.timeout, allow_reconnect=False,
                                          max_reconnect_attempts=1, reconnect_time_wait=0.5,
                                          error_cb=self._on_error, name="followup-cockpit-sink")
            self._js = self._nc.jetstream(timeout=self.timeout)
            await self._ensure_stream()
            return self._js

    async def _ensure_stream(self) -> None:
        wanted = f"{self.prefix}.>"
        try:
            info = await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(name=self.stream, subjects=[wanted])
            log.info("NATS stream %s created for %s", self.stream, wanted)
            return
        subjects = list(info.config.subjects or [])
        if wanted not in subjects:
            await self._js.update_stream(info.config.evolve(subjects=[*subjects, wanted]))

    async def _disconnect(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            await nc.close()

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS connection error: %s", exc)
