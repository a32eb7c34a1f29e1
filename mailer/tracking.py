"""Open and click tracking, the way mail tools do it: a per-message pixel and signed click links.

A link in a sent mail becomes `<base>/t/c/<token>/<n>`: the token signs the message id, `n` is the
link's place in the mail as stored. The redirect target is read back from the stored mail, never from
the request, so the route cannot be made to send anyone elsewhere (no open redirect). The unsubscribe
link is left as it is: unsubscribing must work without tracking. Pure functions, no I/O.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re

# An <a ...href="...">: the href's quote, its value; in document order.
_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
PIXEL = ('<img src="{url}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">')
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1x1, transparent


def tracking_token(message_id: int, secret: str) -> str:
    return f"{message_id}.{_signature(message_id, secret)}"


def verified_message_id(token: str, secret: str) -> int | None:
    """The message id a token was made for, or None for anything not made with `secret`."""
    number, _, signature = token.partition(".")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    message_id = int(number)
    return message_id if hmac.compare_digest(signature, _signature(message_id, secret)) else None


def tracked_links(body_html: str) -> list[str]:
    """The http(s) links of a mail body that tracking rewrites, in order (as the reader clicks them)."""
    return [html.unescape(value) for _, value in _candidates(body_html)]


def with_tracking(body_html: str, message_id: int, secret: str, base_url: str) -> str:
    """The body as sent: its tracked links through the click route, and the open pixel at its end."""
    if not body_html:
        return body_html
    token, counter = tracking_token(message_id, secret), iter(range(1_000_000))

    def rewrite(match: re.Match) -> str:
        if not _tracked(html.unescape(match.group(3))):
            return match.group(0)
        return f'{match.group(1)}{match.group(2)}{base_url}/t/c/{token}/{next(counter)}{match.group(2)}'

    pixel = PIXEL.format(url=f"{base_url}/t/o/{token}.gif")
    body = _HREF.sub(rewrite, body_html)
    closing = body.lower().rfind("</body>")
    return body[:closing] + pixel + body[closing:] if closing >= 0 else body + pixel


def _candidates(body_html: str):
    for match in _HREF.finditer(body_html or ""):
        if _tracked(html.unescape(match.group(3))):
            yield match, match.group(3)


def _tracked(url: str) -> bool:
    """Web links, but not the unsubscribe link (whatever host it names: the numbering of the links must
    not change when the public address does)."""
    url = url.strip()
    return url.lower().startswith(("http://", "https://")) and "/unsubscribe?token=" not in url


def _signature(message_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"track:{message_id}".encode(), hashlib.sha256).digest()[:15]
    return base64.urlsafe_b64encode(digest).decode()
