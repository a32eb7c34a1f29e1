"""The dispatcher's batches: a crash in the middle of a file batch still sends each mail once; an
unverifiable provider is claimed one message at a time; calls not made after a breaker opened go back
to the queue as they were; suppressed and sendable mail share a batch."""
from __future__ import annotations

from collections import Counter

import pytest

from data.models import Lead
from mailer.api import MailError
from mailer.providers.file import FileProvider
from tests.integration.test_mail_delivery_support import (RecordingProvider, add_lead, clock, dispatcher,  # noqa: F401
                                                          messages, queue, suppress, uow)


class ProcessDied(BaseException):
    pass


class FileProviderDyingAt(FileProvider):
    """Writes mails until the `at`-th call, which dies before writing."""

    def __init__(self, directory, at: int):
        super().__init__(directory)
        self.at, self.calls = at, []

    def send(self, mail):
        self.calls.append(mail.key)
        if len(self.calls) == self.at:
            raise ProcessDied()
        return super().send(mail)


def test_a_crash_in_the_middle_of_a_file_batch_sends_every_mail_once(uow, clock, tmp_path):
    for n in range(6):
        queue(uow, f"m{n}", clock.now, n=n)
    with pytest.raises(ProcessDied):
        dispatcher(uow, [FileProviderDyingAt(tmp_path / "mail", at=3)], clock).dispatch_once()
    assert {row.status for row in messages(uow).values()} == {"sending"}  # the whole batch was claimed
    restarted = FileProviderDyingAt(tmp_path / "mail", at=0)
    clock.advance(301)
    mailer = dispatcher(uow, [restarted], clock)
    while mailer.dispatch_once():
        pass
    assert sorted(restarted.calls) == ["m2", "m3", "m4", "m5"]  # m0, m1 were found on disk
    assert {row.status for row in messages(uow).values()} == {"sent"}
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 6


def test_a_provider_that_cannot_check_for_its_mail_is_claimed_one_message_at_a_time(uow, clock):
    class DyingProvider(RecordingProvider):
        def send(self, mail):
            super().send(mail)
            raise ProcessDied()

    for n in range(4):
        queue(uow, f"m{n}", clock.now, n=n)
    with pytest.raises(ProcessDied):
        dispatcher(uow, [DyingProvider("ses")], clock).dispatch_once()
    assert Counter(row.status for row in messages(uow).values()) == {"sending": 1, "queued": 3}


def test_calls_not_made_after_the_breaker_opened_go_back_to_the_queue_as_they_were(uow, clock, tmp_path):
    class FailingFiles(FileProvider):
        def send(self, mail):
            raise MailError("disk full")

    for n in range(5):
        queue(uow, f"m{n}", clock.now, n=n)
    mailer = dispatcher(uow, [FailingFiles(tmp_path / "mail")], clock, failure_threshold=2)
    assert mailer.dispatch_once() == 2
    rows = messages(uow)
    assert Counter(row.status for row in rows.values()) == {"failed": 2, "queued": 3}
    assert {row.attempts for row in rows.values() if row.status == "queued"} == {0}
    assert {row.provider for row in rows.values() if row.status == "queued"} == {None}


def test_suppressed_and_sendable_mail_share_a_batch(uow, clock, tmp_path):
    kept, refused = add_lead(uow, "koch@restaurant.example"), add_lead(uow, "nein@hotel.example")
    queue(uow, "kept", clock.now, lead_id=kept)
    queue(uow, "refused", clock.now, to="nein@hotel.example", lead_id=refused)
    queue(uow, "suppressed", clock.now, to="gesperrt@hotel.example")
    suppress(uow, "Gesperrt@Hotel.example")
    with uow() as tx:
        tx.session.get(Lead, refused).email_consent = False  # withdrawn after queueing
        tx.commit()
    assert dispatcher(uow, [FileProvider(tmp_path / "mail")], clock).dispatch_once() == 3
    rows = messages(uow)
    assert {key: row.status for key, row in rows.items()} == {"kept": "sent", "refused": "suppressed",
                                                              "suppressed": "suppressed"}
    assert rows["refused"].last_error == "no email consent" and rows["suppressed"].last_error == "suppressed: bounce"
