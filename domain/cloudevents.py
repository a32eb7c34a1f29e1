"""CloudEvents 1.0 envelopes: the checks a receiver owes beyond the official JSON schema.

Pure functions over dicts and headers; the web layer translates HTTP, the services store.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

REQUIRED = ("id", "source", "specversion", "type")
CONTEXT = {"id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time"}
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
KEY = "idempotencykey"


class InvalidEvent(ValueError):
    def __init__(self, attribute: str, reason: str):
        super().__init__(f"{attribute}: {reason}")
        self.attribute, self.reason = attribute, reason


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    time: datetime | None = None  # None when a sender left it out; the log then keeps its arrival time
    data: object = None
    subject: str | None = None
    datacontenttype: str = "application/json"
    idempotencykey: str = ""
    extensions: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        body = {"specversion": "1.0", "id": self.id, "source": self.source, "type": self.type,
                "datacontenttype": self.datacontenttype, KEY: self.idempotencykey, **self.extensions}
        if self.time is not None:
            body["time"] = self.time.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        if self.subject is not None:
            body["subject"] = self.subject
        if self.data is not None:
            body["data"] = self.data
        return body


def _text(body: dict, name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidEvent(name, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(name, "must be a non-empty string")
    if len(value) > 200:
        raise InvalidEvent(name, "is longer than 200 characters")
    return value


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise InvalidEvent("time", "is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidEvent("time", "needs a UTC offset (RFC 3339)")
    return parsed


def _data(body: dict) -> object:
    if "data" in body and "data_base64" in body:
        raise InvalidEvent("data_base64", "must not be given together with data")
    if "data_base64" in body:
        try:
            raw = base64.b64decode(body["data_base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidEvent("data_base64", "is not valid base64") from None
        raise InvalidEvent("data_base64", f"binary data ({len(raw)} bytes) is not accepted: catalog types carry JSON data")
    return body.get("data")


def from_structured(body: object) -> CloudEvent:
    """Check one structured-mode event (a JSON object) and return it; InvalidEvent names the attribute."""
    if not isinstance(body, dict):
        raise InvalidEvent("event", "must be a JSON object")
    for name in REQUIRED:
        _text(body, name, required=True)
    if body["specversion"] != "1.0":
        raise InvalidEvent("specversion", "must be 1.0")
    for name in body:
        if name not in CONTEXT | {"data", "data_base64"} and not EXTENSION_NAME.match(name):
            raise InvalidEvent(name, "is not a valid attribute name (lower-case letters and digits, at most 20)")
    content_type = _text(body, "datacontenttype", required=False) or "application/json"
    if not content_type.split(";")[0].strip().endswith(("/json", "+json")):
        raise InvalidEvent("datacontenttype", "must be JSON (application/json)")
    extensions = {k: v for k, v in body.items() if k not in CONTEXT | {"data", "data_base64", KEY}}
    key = body.get(KEY)
    if key is not None and (not isinstance(key, str) or not key):
        raise InvalidEvent(KEY, "must be a non-empty string")
    return CloudEvent(id=body["id"], source=body["source"], type=body["type"], time=parse_time(body.get("time")),
                      data=_data(body), subject=_text(body, "subject", required=False), datacontenttype=content_type,
                      idempotencykey=key or "", extensions=extensions)
