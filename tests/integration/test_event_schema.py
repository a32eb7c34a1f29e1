"""Every event the app writes is a valid CloudEvent (the official JSON schema) whose `data` fits the
catalog schema of its type. Runs over domain.events.EVENT_TYPES, so a type added later is checked
too: its sample `data` is built from its own schema."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from domain.events import EVENT_TYPES, EventType
from services.outbox import SOURCE_PREFIX, check_data, publish
from tests.conftest import make_settings, shutdown

OFFICIAL = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "cloudevents-1.0.2.schema.json"
AUTH = {"Authorization": "Bearer test-token"}
EXTERNAL = [e for e in EVENT_TYPES if e.external]
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")


def sample(schema: dict, name: str = "value"):
    """A value that satisfies `schema` (the subset of JSON schema the catalog uses); a construct it does
    not know fails loudly, so a new type with an unusual schema gets a sample added here, not skipped."""
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        return {key: sample(sub, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(schema.get("items", {"type": "string"}), name)]
    if kind == "string":
        return _string(schema, name)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 0.75
    if kind == "boolean":
        return True
    raise AssertionError(f"no sample for the schema of {name!r}: {schema}")


def _string(schema: dict, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-11-27T09:00:00Z"
    if fmt == "email":
        return f"{name}@schema.example"
    if fmt:
        raise AssertionError(f"no sample for format {fmt!r} of {name!r}")
    text = f"sample {name}"[: schema.get("maxLength", 200)]
    return text.ljust(schema.get("minLength", 0), "x")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    # The relay is off: only the writes under test reach the log.
    server = create_app(make_settings(tmp_path_factory.mktemp("schema"), demo_leads=20, relay_enabled=False))
    yield server
    shutdown(server)


@pytest.fixture(scope="module")
def official() -> Draft7Validator:
    if not OFFICIAL.exists():
        pytest.skip(f"the official CloudEvents schema is not at {OFFICIAL}")
    return Draft7Validator(json.loads(OFFICIAL.read_text()), format_checker=Draft7Validator.FORMAT_CHECKER)


def logged(app, type_: str, event_id: str) -> dict:
    """The event as GET /api/events serves it."""
    r = app.test_client().get("/api/events", query_string={"type": type_, "limit": 1000}, headers=AUTH)
    assert r.status_code == 200
    found = [e for e in r.get_json() if e["id"] == event_id]
    assert len(found) == 1, f"{type_} {event_id} is not in the log"
    return found[0]


def assert_valid(event: dict, etype: EventType, official: Draft7Validator) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}" for e in official.iter_errors(event)]
    assert not errors, f"{etype.type} breaks the CloudEvents schema: {errors}"
    # What the official schema leaves to the receiver (../shared/schemas/README.md).
    assert event["specversion"] == "1.0" and not ("data" in event and "data_base64" in event)
    extensions = set(event) - {"id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject",
                               "time", "data", "data_base64"}
    assert all(EXTENSION_NAME.match(name) for name in extensions), extensions
    assert event["idempotencykey"], "every event carries its idempotency key"
    assert datetime.fromisoformat(event["time"].replace("Z", "+00:00")).tzinfo is not None
    catalog = Draft202012Validator(etype.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not list(catalog.iter_errors(event["data"])), f"{etype.type}: data breaks its catalog schema"
    check_data(etype.type, event["data"])  # the outbox's own check, formats included


@pytest.mark.parametrize("etype", EVENT_TYPES, ids=lambda e: e.type)
def test_every_catalog_type_published_by_the_app_is_a_valid_cloudevent(app, official, etype):
    data = sample(etype.schema)
    check_data(etype.type, data)  # the sample itself fits: a failure below is the envelope's
    uow = app.extensions["cockpit"].uow
    with uow() as tx:
        event = publish(tx, etype.type, producer="schema-test", subject="lead/1", data=data,
                        facts=("schema", etype.type), time=NOW)
        tx.commit()
    served = logged(app, etype.type, event.id)
    assert served["source"] == SOURCE_PREFIX + "schema-test" and served["data"] == data
    assert_valid(served, etype, official)


@pytest.mark.parametrize("etype", EXTERNAL, ids=lambda e: e.type)
def test_every_external_type_posted_in_both_modes_is_logged_as_a_valid_cloudevent(app, official, etype):
    data = sample(etype.schema)
    client = app.test_client()
    structured = {"specversion": "1.0", "id": f"structured-{etype.name}", "source": "/crm/schema", "type": etype.type,
                  "subject": "crm-42", "time": "2026-11-27T09:00:00+01:00", "comexampletrace": "abc123", "data": data}
    r = client.post("/api/events", data=json.dumps(structured),
                    headers={**AUTH, "Content-Type": "application/cloudevents+json"})
    assert r.status_code == 202, r.get_json()
    binary = {"ce-specversion": "1.0", "ce-id": f"binary-{etype.name}", "ce-source": "/crm/schema",
              "ce-type": etype.type, "ce-subject": quote("Köln"), "ce-comexampletrace": "def456"}
    r = client.post("/api/events", data=json.dumps(data),
                    headers={**AUTH, **binary, "Content-Type": "application/json"})
    assert r.status_code == 202, r.get_json()
    for event_id in (structured["id"], binary["ce-id"]):
        served = logged(app, etype.type, event_id)
        assert served["data"] == data
        assert_valid(served, etype, official)

