"""CloudEvents 1.0 envelopes: the checks a receiver owes beyond the official JSON schema.

Pure functions over dicts and headers; the web layer translates HTTP, the services store. What a
sender posts is bounded here (README "What a sender can expect"): anything accepted fits its column,
converts to UTC and can be walked by a consumer, so it cannot fail later at every relay pass.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import accumulate

REQUIRED = ("id", "source", "specversion", "type")
CONTEXT = {"id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time"}
EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")  # used with fullmatch: "$" would let a trailing newline in
KEY = "idempotencykey"
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
MAX_DEPTH = 32  # levels of objects and arrays in data and in an extension value
MAX_LENGTH = {"type": 120, "datacontenttype": 60}  # the event log's columns; 200 for the other attributes
MAX_EXTENSION_TEXT = 1000
INT32 = (-2**31, 2**31 - 1)  # the CloudEvents Integer type
# A JSON string with its escapes, or an unterminated one up to the end: possessive, so never backtracking.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.S)
_NOT_BRACKET = re.compile(r'[^\[\]{}]++')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


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


def is_text(value: str) -> bool:
    """Storable text: UTF-8 (no lone surrogate, which JSON's \\ud800 escape can carry) without NUL
    (PostgreSQL text cannot hold it)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(name: str, value: str, what: str = "is not") -> None:
    if not is_text(value):
        raise InvalidEvent(name, f"{what} storable text (a lone surrogate or a NUL character)")


def _text(body: dict, name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidEvent(name, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(name, "must be a non-empty string")
    limit = MAX_LENGTH.get(name, 200)
    if len(value) > limit:
        raise InvalidEvent(name, f"is longer than {limit} characters")
    _storable(name, value)
    return value


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp within 1970-01-01 .. 2200-01-01 at any offset, else InvalidEvent("time")."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise InvalidEvent("time", "is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidEvent("time", "needs a UTC offset (RFC 3339)")
    if not storable_time(parsed):
        raise InvalidEvent("time", "must lie between 1970-01-01 and 2200-01-01 (UTC)")
    return parsed


def storable_time(parsed: datetime) -> bool:
    """An aware time within 1970-01-01 .. 2200-01-01 (UTC). The naive year is checked first:
    comparing or converting year 1 or 9999 with an offset overflows."""
    return EARLIEST.year - 1 <= parsed.year <= LATEST.year and EARLIEST <= parsed <= LATEST


def nests_deeper(text: str, limit: int) -> bool:
    """Whether JSON text nests objects and arrays deeper than `limit`, found without parsing it (the
    parser recurses once per level): strings (escapes honoured) are dropped, then the brackets counted.
    A stray closing bracket may lower the count, but the parser stops at it before going any deeper."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return len(brackets) > limit and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def check_json(value: object, where: str) -> None:
    """Walk a parsed JSON value without recursion: at most MAX_DEPTH levels, storable keys and strings,
    finite numbers. InvalidEvent names the path, e.g. data.contacts[1].name."""
    stack = [(where, None, value, 0)]  # (the parent's path, the key in it, the value, its depth)
    while stack:
        parent, key, item, depth = stack.pop()
        if isinstance(item, str):
            _storable(_path(parent, key), item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidEvent(_path(parent, key), "must be a finite number")
        elif isinstance(item, (dict, list)):
            path = _path(parent, key)
            if depth >= MAX_DEPTH:
                raise InvalidEvent(path, f"nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for name in item:  # a bad key is named by its parent: the key itself cannot be shown
                    _storable(path, name, "has a key that is not")
                stack.extend((path, name, child, depth + 1) for name, child in item.items())
            else:
                stack.extend((path, i, child, depth + 1) for i, child in enumerate(item))


def _path(parent: str, key: str | int | None) -> str:
    """Built only for a value that is refused or holds others: most values never need theirs."""
    if key is None:
        return parent
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


def _extension(name: str, value: object) -> None:
    if isinstance(value, str) and len(value) > MAX_EXTENSION_TEXT:
        raise InvalidEvent(name, f"is longer than {MAX_EXTENSION_TEXT} characters")
    if isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
        raise InvalidEvent(name, "is outside the CloudEvents Integer range (32 bits)")
    check_json(value, name)


def _data(body: dict) -> object:
    if "data" in body and "data_base64" in body:
        raise InvalidEvent("data_base64", "must not be given together with data")
    if "data_base64" in body:
        try:
            raw = base64.b64decode(body["data_base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidEvent("data_base64", "is not valid base64") from None
        raise InvalidEvent("data_base64", f"binary data ({len(raw)} bytes) is not accepted: catalog types carry JSON data")
    check_json(body.get("data"), "data")
    return body.get("data")


def _key(body: dict) -> str:
    key = body.get(KEY)
    if key is None:
        return ""
    if not isinstance(key, str) or not key:
        raise InvalidEvent(KEY, "must be a non-empty string")
    if len(key) > 200:
        raise InvalidEvent(KEY, "is longer than 200 characters")
    _storable(KEY, key)
    return key


def from_structured(body: object) -> CloudEvent:
    """Check one structured-mode event (a JSON object) and return it; InvalidEvent names the attribute."""
    if not isinstance(body, dict):
        raise InvalidEvent("event", "must be a JSON object")
    for name in REQUIRED:
        _text(body, name, required=True)
    if body["specversion"] != "1.0":
        raise InvalidEvent("specversion", "must be 1.0")
    for name in body:
        if name not in CONTEXT | {"data", "data_base64"} and not EXTENSION_NAME.fullmatch(name):
            raise InvalidEvent(name, "is not a valid attribute name (lower-case letters and digits, at most 20)")
    content_type = _text(body, "datacontenttype", required=False) or "application/json"
    if not content_type.split(";")[0].strip().endswith(("/json", "+json")):
        raise InvalidEvent("datacontenttype", "must be JSON (application/json)")
    extensions = {k: v for k, v in body.items() if k not in CONTEXT | {"data", "data_base64", KEY}}
    for name, value in extensions.items():
        _extension(name, value)
    return CloudEvent(id=body["id"], source=body["source"], type=body["type"], time=parse_time(body.get("time")),
                      data=_data(body), subject=_text(body, "subject", required=False), datacontenttype=content_type,
                      idempotencykey=_key(body), extensions=extensions)
