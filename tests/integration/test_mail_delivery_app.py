"""The app wires one mail dispatcher: a mail queued in any transaction lands in MAIL_DIR."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from mailer.api import MailRequest, QueueOutcome, RenderedMail, queue_mail


def test_the_running_app_sends_queued_mail_to_the_mail_dir(app, settings):
    dispatcher = app.extensions["mail_dispatcher"]
    with app.extensions["cockpit"].uow() as tx:
        request = MailRequest("gast@hotel.example", RenderedMail("Willkommen", "<p>Hallo</p>", "Hallo"))
        assert queue_mail(tx, request, "app-welcome", datetime.now(timezone.utc)) == QueueOutcome.QUEUED
        tx.commit()
    deadline = time.monotonic() + 10
    while not list(settings.mail_dir.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.05)
    [eml] = settings.mail_dir.glob("*.eml")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in eml.read_bytes()
    assert dispatcher.metrics.snapshot()["sent"] == {"file": 1}
