"""The NATS JetStream sink against the real server at 127.0.0.1:4222: delivery, dedup, an outage."""
from __future__ import annotations

import asyncio
import json
import uuid

import nats
import pytest
import requests
from sqlalchemy import func, select, update

from data.sink_models import SinkDelivery
from tests.conftest import make_settings, wait_for
from tests.integration.sink_support import AUTH, REGISTERED, delivery, external, post, serve, shut

NATS_URL = "nats://127.0.0.1:4222"


async def _drop_stream(stream: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


async def _stream_messages(stream: str, prefix: str, wanted: int) -> list:
    nc = await nats.connect(NATS_URL)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"{prefix}.>", durable="reader", stream=stream)
        msgs = await sub.fetch(wanted, timeout=10)
        for msg in msgs:
            await msg.ack()
        return msgs
    finally:
        await nc.close()


async def _message_count(stream: str) -> int:
    nc = await nats.connect(NATS_URL)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


@pytest.fixture
def nats_cockpit(tmp_path):
    tag = uuid.uuid4().hex[:10]
    prefix, stream = f"test{tag}.events", f"TEST_{tag}"
    live, app = serve(make_settings(tmp_path, demo_leads=5, nats_url=NATS_URL, nats_subject_prefix=prefix,
                                    nats_stream=stream))
    yield live.url, app, prefix, stream
    shut(live, app)
    asyncio.run(_drop_stream(stream))


def test_an_event_reaches_a_jetstream_consumer_as_cloudevents_json(nats_cockpit):
    url, app, prefix, stream = nats_cockpit
    event = external(REGISTERED, f"nats-{uuid.uuid4().hex[:8]}")
    post(url, event)
    assert wait_for(lambda: (row := delivery(app, event["id"])) is not None and row.delivered_at is not None)
    [msg] = asyncio.run(_stream_messages(stream, prefix, 1))
    logged = requests.get(f"{url}/api/events", params={"subject": event["subject"]}, headers=AUTH).json()
    assert msg.subject == f"{prefix}.{REGISTERED}"
    assert json.loads(msg.data) == logged[0] and logged[0]["data"] == event["data"]
    assert msg.headers["Nats-Msg-Id"] == f"/crm/test {event['id']}"


def test_a_redelivery_to_jetstream_is_deduplicated_by_message_id(nats_cockpit):
    url, app, prefix, stream = nats_cockpit
    event = external(REGISTERED, f"nats-{uuid.uuid4().hex[:8]}")
    post(url, event)
    assert wait_for(lambda: (row := delivery(app, event["id"])) is not None and row.delivered_at is not None)
    first_at = delivery(app, event["id"]).delivered_at
    with app.extensions["cockpit"].uow.session_factory() as s:  # as if the process died before the mark
        s.execute(update(SinkDelivery).where(SinkDelivery.sink == "nats").values(delivered_at=None, attempts=0))
        s.commit()
    assert wait_for(lambda: (row := delivery(app, event["id"])).delivered_at is not None and row.delivered_at > first_at)

    def nats_rows(pending_only: bool) -> int:  # the registration and what the cockpit made of it
        stmt = select(func.count()).select_from(SinkDelivery).where(SinkDelivery.sink == "nats")
        with app.extensions["cockpit"].uow.session_factory() as s:
            return s.scalar(stmt.where(SinkDelivery.delivered_at.is_(None)) if pending_only else stmt)

    assert wait_for(lambda: nats_rows(pending_only=True) == 0)
    assert asyncio.run(_message_count(stream)) == nats_rows(pending_only=False) >= 1


def test_an_unreachable_nats_keeps_the_event_queued_for_retry(tmp_path):
    live, app = serve(make_settings(tmp_path, demo_leads=5, nats_url="nats://127.0.0.1:1", sink_max_attempts=8))
    try:
        event = external(REGISTERED, f"nonats-{uuid.uuid4().hex[:8]}")
        post(live.url, event)
        assert wait_for(lambda: (row := delivery(app, event["id"])) is not None and row.attempts >= 1)
        row = delivery(app, event["id"])
        assert row.dead_at is None and row.delivered_at is None and row.next_attempt_at is not None
        assert "NATS" in row.last_error
    finally:
        shut(live, app)
