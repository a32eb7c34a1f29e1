"""The CloudEvents HTTP binding: structured, binary and batch mode requests into CloudEvent objects."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from urllib.parse import unquote

from domain.cloudevents import MAX_DEPTH, CloudEvent, InvalidEvent, from_structured, is_text, nests_deeper, parse_time

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
# The parser's guard, not the limit: room for data and extensions at their limit (checked after parsing,
# where the answer can name the attribute) inside the event and the batch, yet far from any stack limit.
BODY_DEPTH = 2 * MAX_DEPTH
Check = Callable[[CloudEvent], CloudEvent]


class UnsupportedFormat(Exception):
    """The request is in no CloudEvents mode this receiver knows (answered with 415)."""


@dataclass(frozen=True)
class Received:
    """The events of one request. In a batch an item the checks refused is its InvalidEvent, so the
    answer can name every refused item; a refused single event raises instead."""

    items: list
    batch: bool

    @property
    def events(self) -> list[CloudEvent]:
        return [item for item in self.items if isinstance(item, CloudEvent)]

    @property
    def refused(self) -> bool:
        return any(isinstance(item, InvalidEvent) for item in self.items)


def _json(raw: bytes, what: str):
    try:
        text = raw.decode("utf-8-sig")  # the JSON event format is UTF-8 (a leading BOM passes, as before)
    except UnicodeDecodeError:
        raise InvalidEvent(what, "is not UTF-8 text") from None
    # Before parsing: the parser recurses once per level, and 100,000 "[" would exhaust the stack.
    if nests_deeper(text, BODY_DEPTH):
        raise InvalidEvent(what, f"nests deeper than {BODY_DEPTH} levels (data and extension values: at most {MAX_DEPTH})")
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and the 4300-digit limit of int()
        raise InvalidEvent(what, f"is not valid JSON ({exc.__class__.__name__})") from None


def _binary_attributes(headers) -> dict:
    attributes = {}
    for name, value in headers.items():
        if not name.lower().startswith("ce-"):
            continue
        try:
            # Werkzeug hands header bytes over as latin-1; the binding percent-encodes UTF-8.
            attributes[name[3:].lower()] = unquote(value.encode("latin-1").decode("ascii"), errors="strict")
        except (UnicodeDecodeError, UnicodeEncodeError):
            raise InvalidEvent(name, "is not a percent-encoded UTF-8 header value") from None
    return attributes


def _as_is(event: CloudEvent) -> CloudEvent:
    return event


def _batch(items: object, check: Check) -> list:
    if not isinstance(items, list):
        raise InvalidEvent("body", "a batch must be a JSON array of events")
    checked = []
    for item in items:
        try:
            checked.append(check(from_structured(item)))
        except InvalidEvent as exc:
            checked.append(exc)
    return checked


def parse_request(content_type: str, headers, body: bytes, check: Check = _as_is) -> Received:
    """The events of one request, each passed through `check` (the catalog's, which raises InvalidEvent)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == STRUCTURED:
        return Received([check(from_structured(_json(body, "body")))], False)
    if media == BATCH:
        return Received(_batch(_json(body, "body"), check), True)
    if "ce-specversion" in {k.lower() for k in headers.keys()}:
        if media not in ("application/json", "") and not media.endswith("+json"):
            raise UnsupportedFormat(f"binary mode with {media} data: only JSON data is accepted")
        attributes = _binary_attributes(headers)
        if body:
            attributes["data"] = _json(body, "data")
        return Received([check(from_structured(attributes))], False)
    raise UnsupportedFormat(f"{media or 'no content type'} is not a CloudEvents format "
                            f"(use {STRUCTURED}, {BATCH}, or binary mode with ce- headers)")


@dataclass(frozen=True)
class LogQuery:
    type: str | None
    subject: str | None
    since: datetime | None
    limit: int


def log_query(args) -> LogQuery:
    """GET /api/events?type=&subject=&since=&limit=; InvalidEvent names the parameter."""
    texts = {name: args.get(name) or None for name in ("type", "subject")}
    for name, value in texts.items():
        if value is not None and (len(value) > 200 or not is_text(value)):
            raise InvalidEvent(name, "must be text of at most 200 characters")
    raw = args.get("limit", "100")
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else 0
    if not 1 <= limit <= 1000:
        raise InvalidEvent("limit", "must be a whole number from 1 to 1000")
    try:
        since = parse_time(args.get("since") or None)
    except InvalidEvent as exc:
        raise InvalidEvent("since", exc.reason) from None
    return LogQuery(texts["type"], texts["subject"], since, limit)
