"""A mail's RFC 5322 bytes, as `OutgoingMail.to_mime().as_bytes()` writes them, at a fraction of
the cost: the email package parses and refolds every header and body on every mail, which made it
most of a file send. Plain values (printable ASCII, short lines) are written as they are; the sender
line, once per sender, and anything else go through the email package itself, header by header, and
a mail the fast form does not cover (no HTML part, a line over 998 bytes, the boundary in a part) is
built by the email package whole.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr
from functools import lru_cache

from mailer.message import MIME_POLICY, OutgoingMail

MAX_LINE = MIME_POLICY.max_line_length
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\Z")


def eml_bytes(mail: OutgoingMail) -> bytes:
    message_id = mail.message_id  # derived anew on every read
    boundary = "=" * 15 + str(int(message_id[1:17], 16)) + "=="
    text, html = _part(mail.text or " ", boundary), _part(mail.html, boundary) if mail.html else None
    if text is None or html is None:
        return mail.to_mime().as_bytes()
    name, address = mail.sender_address
    head = [_sender(name, address), _header("To", mail.to_email, _PLAIN_ADDRESS.match(mail.to_email) is not None),
            _header("Subject", mail.subject), _header("Message-ID", message_id),
            _header("Date", _date(mail))]
    head += [_header(key, value) for key, value in mail.headers.items()]
    head.append(f'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="{boundary}"\n\n')
    return b"".join((
        "".join(head).encode("ascii", "surrogateescape"),
        f'--{boundary}\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: {text[0]}\n\n'.encode(),
        text[1],
        f'\n--{boundary}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: {html[0]}\n'
        f"MIME-Version: 1.0\n\n".encode(),
        html[1],
        f"\n--{boundary}--\n".encode()))


def _date(mail: OutgoingMail) -> str:
    return format_datetime(mail.date or datetime.now(timezone.utc))


def _part(content: str, boundary: str) -> tuple[str, bytes] | None:
    """(transfer encoding, body) as the email package sets text content: lines kept, 7bit or 8bit."""
    lines = content.encode("utf-8").splitlines()
    if any(len(line) > MAX_LINE for line in lines) or any(boundary.encode() in line for line in lines):
        return None
    body = b"\n".join(lines) + b"\n"
    return ("7bit" if body.isascii() else "8bit"), body


def _header(name: str, value: str, plain: bool = True) -> str:
    if plain and value and value.isascii() and value.isprintable() and "=?" not in value and value == value.strip() \
            and "  " not in value and len(name) + 2 + len(value) <= MAX_LINE:
        return f"{name}: {value}\n"
    return _folded(name, value)


@lru_cache(maxsize=16)
def _sender(name: str, address: str) -> str:
    return _folded("From", formataddr((name, address)))


def _folded(name: str, value: str) -> str:
    """The header exactly as the email package writes it (refusing a line break in the value)."""
    return MIME_POLICY.header_store_parse(name, value)[1].fold(policy=MIME_POLICY)
