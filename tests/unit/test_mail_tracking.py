"""The tracked body of a mail: links through signed click routes, the unsubscribe link untouched, one
pixel; tokens that were not signed with the secret are refused."""
from __future__ import annotations

from mailer.tracking import tracked_links, tracking_token, verified_message_id, with_tracking

BODY = ('<html><body><p>Hallo!</p><a href="https://shop.example/angebot?x=1&amp;y=2">Angebot</a> '
        "<a href='mailto:vertrieb@frisch.example'>Mail</a> <A HREF=\"http://frisch.example/katalog\">Katalog</A>"
        '<a href="http://cockpit.example/unsubscribe?token=abc">Abmelden</a></body></html>')


def test_links_go_through_the_click_route_and_a_pixel_is_added():
    sent = with_tracking(BODY, 42, "secret-key-0123456789", "https://cockpit.example")
    token = tracking_token(42, "secret-key-0123456789")
    assert f'href="https://cockpit.example/t/c/{token}/0"' in sent
    assert f'HREF="https://cockpit.example/t/c/{token}/1"' in sent
    assert "mailto:vertrieb@frisch.example" in sent and "unsubscribe?token=abc" in sent, "left as written"
    assert sent.count(f"https://cockpit.example/t/o/{token}.gif") == 1 and sent.index(".gif") < sent.index("</body>")


def test_the_click_targets_are_read_from_the_mail_as_written():
    assert tracked_links(BODY) == ["https://shop.example/angebot?x=1&y=2", "http://frisch.example/katalog"]
    assert tracked_links("") == []


def test_only_tokens_signed_with_the_secret_name_a_message():
    token = tracking_token(7, "secret-key-0123456789")
    assert verified_message_id(token, "secret-key-0123456789") == 7
    assert verified_message_id(token, "another-secret-key-99") is None
    assert verified_message_id("8" + token[1:], "secret-key-0123456789") is None
    for junk in ("", ".", "x.y", "-1.abc", "99999999999999999999999.abc", "٣.abc"):
        assert verified_message_id(junk, "secret-key-0123456789") is None
