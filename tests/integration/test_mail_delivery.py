"""The email core's delivery: queueing, the dispatcher's states, retries, dead letters and crash
reconciliation (fake providers and the file provider; breakers and limits: test_mail_delivery_limits.py)."""
from __future__ import annotations

import email
import email.policy
import email.utils
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from data.models import Lead
from mailer.api import MailError, MailRequest, MessageStatus, QueueOutcome, RenderedMail, queue_mail
from mailer.dispatcher import MailDispatcher, retry_delay
from mailer.providers import Throttled
from mailer.providers.file import FileProvider
from mailer.routing import ProviderChain
from mailer.unsubscribe import verify_unsubscribe_token
from tests.integration.test_mail_delivery_support import (BASE_URL, SECRET, SENDER, RecordingProvider,  # noqa: F401
                                                          add_lead, clock, dispatcher, make_uow, messages, queue,
                                                          request, suppress, uow)



def test_a_tracked_mail_carries_its_pixel_and_the_stored_body_stays_as_written(uow, clock, tmp_path):
    lead = add_lead(uow, "koch@restaurant.example")
    queue(uow, "lead-1/T3", clock.now, lead_id=lead)
    assert dispatcher(uow, [FileProvider(tmp_path / "mail")], clock, tracking=True).dispatch_once() == 1
    [eml] = (tmp_path / "mail").glob("*.eml")
    html = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).get_body(("html",)).get_content()
    assert f"{BASE_URL}/t/o/" in html and html.count(".gif") == 1
    assert messages(uow)["lead-1/T3"].body_html == "<p>Hallo 0</p>", "the click targets are read from the stored body"


class ProcessDied(BaseException):
    """Stands for the process dying mid-send: nothing in the dispatcher may catch it."""


def test_a_queued_mail_becomes_an_eml_with_one_click_unsubscribe(uow, clock, tmp_path):
    lead = add_lead(uow, "koch@restaurant.example")
    assert queue(uow, "lead-1/T3", clock.now, lead_id=lead) == QueueOutcome.QUEUED
    assert dispatcher(uow, [FileProvider(tmp_path / "mail")], clock).dispatch_once() == 1
    row = messages(uow)["lead-1/T3"]
    assert (row.status, row.provider, row.attempts, row.sent_at) == ("sent", "file", 1, clock.now)
    assert (row.template_version, row.template_variant, row.context) == (3, "B", {"followup_step": "T3"})
    [eml] = (tmp_path / "mail").glob("*.eml")
    mime = email.message_from_bytes(eml.read_bytes())
    assert mime["To"] == "koch@restaurant.example" and mime["Subject"] == "Wie war die Probe? 0"
    assert email.utils.parsedate_to_datetime(mime["Date"]) == clock.now, "RFC 5322: every mail has a Date"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mime["List-Unsubscribe"]
    assert url.startswith("<http://cockpit.test/unsubscribe?token=") and url.endswith(">")
    token = parse_qs(urlsplit(url.strip("<>")).query)["token"][0]
    assert verify_unsubscribe_token(token, SECRET) == "koch@restaurant.example"


def test_the_same_key_twice_is_one_row_and_one_provider_call(uow, clock):
    provider = RecordingProvider("a")
    with uow() as tx:
        assert queue_mail(tx, request(), "lead-7/T7", clock.now) == QueueOutcome.QUEUED
        assert queue_mail(tx, request(n=2), "lead-7/T7", clock.now) == QueueOutcome.DUPLICATE
        assert queue_mail(tx, request(), "lead-8/T7", clock.now) == QueueOutcome.QUEUED  # the transaction lives on
        tx.commit()
    assert queue(uow, "lead-7/T7", clock.now) == QueueOutcome.DUPLICATE
    mailer = dispatcher(uow, [provider], clock)
    mailer.dispatch_once()
    mailer.dispatch_once()
    assert sorted(key for key, _ in provider.calls) == ["lead-7/T7", "lead-8/T7"]


@pytest.mark.postgres
def test_a_concurrent_duplicate_leaves_the_callers_transaction_usable(pg_url, clock):
    """Two transactions queue one key at once: the second waits on the unique index, gets DUPLICATE
    from its savepoint and still commits its other work."""
    uow = make_uow(pg_url)
    outcomes = {}
    with uow() as first:
        assert queue_mail(first, request(), "race", clock.now) == QueueOutcome.QUEUED

        def second_writer():
            with uow() as second:
                outcomes["race"] = queue_mail(second, request(n=2), "race", clock.now)
                outcomes["other"] = queue_mail(second, request(), "after-race", clock.now)
                second.commit()

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.3)  # the second writer now waits for this transaction on the unique key
        first.commit()
    thread.join(timeout=10)
    assert outcomes == {"race": QueueOutcome.DUPLICATE, "other": QueueOutcome.QUEUED}
    assert set(messages(uow)) == {"race", "after-race"} and messages(uow)["race"].subject.endswith("0")
    uow.session_factory.kw["bind"].dispose()


def test_suppressed_addresses_and_leads_without_consent_are_refused(uow, clock):
    suppress(uow, "Koch@Restaurant.example")
    no_consent = add_lead(uow, "chef@hotel.example", consent=False)
    assert queue(uow, "s1", clock.now, to="koch@restaurant.EXAMPLE") == QueueOutcome.SUPPRESSED
    assert queue(uow, "s2", clock.now, to="chef@hotel.example", lead_id=no_consent) == QueueOutcome.SUPPRESSED
    assert messages(uow) == {}


def test_header_injection_in_an_address_is_refused(uow, clock):
    with uow() as tx, pytest.raises(ValueError, match="not a single email address"):
        queue_mail(tx, request(to="a@b.example\r\nBcc: all@x.example"), "inj", clock.now)


def test_suppression_after_queueing_stops_the_send(uow, clock):
    provider = RecordingProvider("a")
    lead = add_lead(uow, "einkauf@kantine.example")
    queue(uow, "q1", clock.now, to="koch@restaurant.example")
    queue(uow, "q2", clock.now, to="einkauf@kantine.example", lead_id=lead)
    suppress(uow, "koch@restaurant.example", reason="complaint")
    with uow() as tx:
        tx.session.get(Lead, lead).email_consent = False  # consent withdrawn after queueing
        tx.commit()
    dispatcher(uow, [provider], clock).dispatch_once()
    rows = messages(uow)
    assert provider.calls == []
    assert (rows["q1"].status, rows["q1"].last_error) == ("suppressed", "suppressed: complaint")
    assert (rows["q2"].status, rows["q2"].last_error) == ("suppressed", "no email consent")


def test_temporary_failures_back_off_exponentially_then_dead_letter(uow, clock):
    provider = RecordingProvider("a", errors=[MailError("smtp 451: try later")] * 10)
    queue(uow, "k", clock.now)
    mailer = dispatcher(uow, [provider], clock, max_attempts=8, failure_threshold=100)  # breaker aside
    for attempt in range(1, 9):
        mailer.dispatch_once()
        row = messages(uow)["k"]
        if attempt < 8:
            delay = (row.next_attempt_at - clock.now).total_seconds()
            expected = min(600, 2 * 2 ** (attempt - 1))
            assert (row.status, row.attempts) == ("failed", attempt)
            assert expected * 0.7 <= delay <= expected * 1.3
            mailer.dispatch_once()  # not due yet: no call
            assert len(provider.calls) == attempt
            clock.advance(delay)
    row = messages(uow)["k"]
    assert (row.status, row.attempts, row.last_error) == ("dead", 8, "smtp 451: try later")
    clock.advance(3600)
    mailer.dispatch_once()
    assert len(provider.calls) == 8


def test_backoff_is_capped_at_ten_minutes_with_jitter():
    delays = [retry_delay(30) for _ in range(200)]
    assert 420 <= min(delays) < max(delays) <= 780


def test_a_permanent_error_is_dead_at_once_and_retry_after_is_honoured(uow, clock):
    provider = RecordingProvider("a", errors=[MailError("smtp 550: no such user", permanent=True),
                                              Throttled("sendgrid 429", retry_after=42)])
    queue(uow, "perm", clock.now)
    queue(uow, "slow", clock.now)
    dispatcher(uow, [provider], clock).dispatch_once()
    rows = messages(uow)
    assert (rows["perm"].status, rows["perm"].attempts) == ("dead", 1)
    assert rows["slow"].status == "failed" and rows["slow"].next_attempt_at == clock.now + timedelta(seconds=42)


class CrashingFileProvider(FileProvider):
    """Writes the .eml (or not), then the process dies before the dispatcher records anything."""

    def __init__(self, directory, write: bool):
        super().__init__(directory)
        self.write = write

    def send(self, mail):
        if self.write:
            super().send(mail)
        raise ProcessDied()


class CountingFileProvider(FileProvider):
    def __init__(self, directory):
        super().__init__(directory)
        self.calls = 0

    def send(self, mail):
        self.calls += 1
        return super().send(mail)


@pytest.mark.parametrize("written,calls_after_restart", [(True, 0), (False, 1)])
def test_a_crash_after_sending_is_reconciled_from_the_eml(uow, clock, tmp_path, written, calls_after_restart):
    queue(uow, "crash", clock.now)
    with pytest.raises(ProcessDied):
        dispatcher(uow, [CrashingFileProvider(tmp_path / "mail", write=written)], clock).dispatch_once()
    assert messages(uow)["crash"].status == "sending"
    restarted = CountingFileProvider(tmp_path / "mail")
    mailer = dispatcher(uow, [restarted], clock)
    mailer.dispatch_once()
    assert messages(uow)["crash"].status == "sending"  # inside the lease another dispatcher may be sending
    clock.advance(301)
    mailer.dispatch_once()
    assert messages(uow)["crash"].status == "sent"
    assert restarted.calls == calls_after_restart and len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_a_crash_with_a_remote_provider_is_never_sent_twice(uow, clock):
    class DyingProvider(RecordingProvider):
        def send(self, mail):
            super().send(mail)
            raise ProcessDied()

    queue(uow, "remote", clock.now)
    with pytest.raises(ProcessDied):
        dispatcher(uow, [DyingProvider("ses")], clock).dispatch_once()
    restarted = RecordingProvider("ses")
    clock.advance(301)
    dispatcher(uow, [restarted], clock).dispatch_once()
    row = messages(uow)["remote"]
    assert restarted.calls == [] and (row.status, row.provider) == ("unconfirmed", "ses")
    assert "not confirmed" in row.last_error


def test_the_dispatcher_thread_wakes_on_commit(uow):
    provider = RecordingProvider("a")
    mailer = MailDispatcher(uow, ProviderChain.build([provider]), sender=SENDER, secret=SECRET, base_url=BASE_URL,
                            poll_seconds=30).start()
    try:
        time.sleep(0.2)  # the first pass found nothing; now only a wake-up can send within 30 s
        with uow() as tx:
            queue_mail(tx, MailRequest("gast@hotel.example", RenderedMail("Hallo", "", "Hallo")), "wake",
                       datetime.now(timezone.utc))
            tx.commit()
        deadline = time.monotonic() + 5
        while not provider.calls and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        mailer.stop()
    assert [key for key, _ in provider.calls] == ["wake"]


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_never_send_one_key_twice(pg_url, clock):
    uow = make_uow(pg_url)
    provider = RecordingProvider("a")
    with uow() as tx:
        for n in range(150):
            queue_mail(tx, request(n=n), f"pg-{n}", clock.now)
        tx.commit()
    workers = [dispatcher(uow, [provider], clock, per_minute=10_000, per_hour=10_000) for _ in range(2)]
    threads = [threading.Thread(target=w.dispatch_once, kwargs={"limit": 1000}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(key for key, _ in provider.calls) == Counter({f"pg-{n}": 1 for n in range(150)})
    assert {row.status for row in messages(uow).values()} == {MessageStatus.SENT.value}
    uow.session_factory.kw["bind"].dispose()
