"""Signed unsubscribe links and the RFC 8058 one-click headers every mail carries.

The token is the address and an HMAC-SHA256 over it: anyone holding a mail can unsubscribe that
address and no other, and a changed character anywhere makes the token invalid. It needs no expiry:
an unsubscribe link must keep working for as long as the mail exists, so the format never changes.

Decoding is strict: only the one canonical unpadded base64url spelling of each part is accepted.
Python's decoder alone ignores padding, characters outside the alphabet and the unused low bits of
the last character, so several different strings would otherwise name the same valid token.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import quote

PURPOSE = b"unsubscribe:"  # so a signature made for another purpose with the same secret never fits
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(ValueError):
    """The token is malformed or its signature does not match."""


def normalise(email: str) -> str:
    return email.strip().lower()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """The bytes of a canonical unpadded base64url text; ValueError for any other spelling."""
    if not BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # e.g. the unused low bits of the last character were changed
        raise ValueError("not the canonical base64url spelling")
    return data


def _signature(email: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE + email.encode(), hashlib.sha256).digest()


def unsubscribe_token(email: str, secret: str) -> str:
    address = normalise(email)
    return f"{_b64(address.encode())}.{_b64(_signature(address, secret))}"


def verify_unsubscribe_token(token: str, secret: str) -> str:
    """The address the token was made for; InvalidToken when it was altered or is not a token."""
    try:
        encoded, signature = (token if isinstance(token, str) else "").split(".")
        address = _unb64(encoded).decode()
        given = _unb64(signature)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidToken("not an unsubscribe token") from None
    if not address or not hmac.compare_digest(given, _signature(address, secret)):
        raise InvalidToken("the unsubscribe token's signature does not match")
    return address


def unsubscribe_url(email: str, secret: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe?token={quote(unsubscribe_token(email, secret))}"


def unsubscribe_headers(email: str, secret: str, base_url: str) -> dict[str, str]:
    """The List-Unsubscribe headers of RFC 8058: mail clients offer one-click unsubscribe with them."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(email, secret, base_url)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
