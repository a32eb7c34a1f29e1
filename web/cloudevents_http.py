"""The CloudEvents HTTP binding: structured, binary and batch mode requests into CloudEvent objects."""
from __future__ import annotations

import json
from urllib.parse import unquote

from domain.cloudevents import CloudEvent, InvalidEvent, from_structured

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


class UnsupportedFormat(Exception):
    """The request is in no CloudEvents mode this receiver knows (answered with 415)."""


def _json(raw: bytes, what: str):
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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


def parse_request(content_type: str, headers, body: bytes) -> tuple[list[CloudEvent], bool]:
    """The events of one request, and whether it was a batch."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media == STRUCTURED:
        return [from_structured(_json(body, "body"))], False
    if media == BATCH:
        items = _json(body, "body")
        if not isinstance(items, list):
            raise InvalidEvent("body", "a batch must be a JSON array of events")
        events = []
        for index, item in enumerate(items):
            try:
                events.append(from_structured(item))
            except InvalidEvent as exc:
                raise InvalidEvent(f"[{index}].{exc.attribute}", exc.reason) from None
        return events, True
    if "ce-specversion" in {k.lower() for k in headers.keys()}:
        if media not in ("application/json", "") and not media.endswith("+json"):
            raise UnsupportedFormat(f"binary mode with {media} data: only JSON data is accepted")
        attributes = _binary_attributes(headers)
        if body:
            attributes["data"] = _json(body, "data")
        return [from_structured(attributes)], False
    raise UnsupportedFormat(f"{media or 'no content type'} is not a CloudEvents format "
                            f"(use {STRUCTURED}, {BATCH}, or binary mode with ce- headers)")
